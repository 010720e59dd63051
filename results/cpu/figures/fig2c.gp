set terminal pngcairo size 720,540 font 'Sans,11'
set output 'fig2c.png'
set title "(c) components of the proposed method, MNIST\nprofile cpu, mean ± std over seeds" noenhanced
set datafile separator ','
set xlabel 'epoch'
set ylabel 'test accuracy (%)'
set key bottom right opaque noenhanced
set grid lc rgb '#dddddd'
set style fill transparent solid 0.18 noborder
plot 'fig2c.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#1b9e77' notitle, 'fig2c.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3 : 1/0) with lines lw 2 lc rgb '#1b9e77' title 'DFAD (n=3)', 'fig2c.csv' skip 1 using 2:(strcol(1) eq '+AR' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#d95f02' notitle, 'fig2c.csv' skip 1 using 2:(strcol(1) eq '+AR' ? $3 : 1/0) with lines lw 2 lc rgb '#d95f02' title '+AR (n=3)', 'fig2c.csv' skip 1 using 2:(strcol(1) eq '+VI' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#7570b3' notitle, 'fig2c.csv' skip 1 using 2:(strcol(1) eq '+VI' ? $3 : 1/0) with lines lw 2 lc rgb '#7570b3' title '+VI (n=3)', 'fig2c.csv' skip 1 using 2:(strcol(1) eq '+AR+VI' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e7298a' notitle, 'fig2c.csv' skip 1 using 2:(strcol(1) eq '+AR+VI' ? $3 : 1/0) with lines lw 2 lc rgb '#e7298a' title '+AR+VI (n=3)'
