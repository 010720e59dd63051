set terminal pngcairo size 720,540 font 'Sans,11'
set output 'fig2b_fashion.png'
set title "(b) data-free methods over epochs, Fashion-MNIST\nprofile cpu, mean ± std over seeds" noenhanced
set datafile separator ','
set xlabel 'epoch'
set ylabel 'test accuracy (%)'
set key bottom right opaque noenhanced
set grid lc rgb '#dddddd'
set style fill transparent solid 0.18 noborder
plot 'fig2b_fashion.csv' skip 1 using 2:(strcol(1) eq 'DFL' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#1b9e77' notitle, 'fig2b_fashion.csv' skip 1 using 2:(strcol(1) eq 'DFL' ? $3 : 1/0) with lines lw 2 lc rgb '#1b9e77' title 'DFL (n=3)', 'fig2b_fashion.csv' skip 1 using 2:(strcol(1) eq 'DFAL' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#d95f02' notitle, 'fig2b_fashion.csv' skip 1 using 2:(strcol(1) eq 'DFAL' ? $3 : 1/0) with lines lw 2 lc rgb '#d95f02' title 'DFAL (n=3)', 'fig2b_fashion.csv' skip 1 using 2:(strcol(1) eq 'Proposed' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#7570b3' notitle, 'fig2b_fashion.csv' skip 1 using 2:(strcol(1) eq 'Proposed' ? $3 : 1/0) with lines lw 2 lc rgb '#7570b3' title 'Proposed (n=3)'
