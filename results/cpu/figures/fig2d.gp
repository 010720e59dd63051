set terminal pngcairo size 720,600 font 'Sans,11'
set output 'fig2d.png'
set title "(d) components of the proposed method, Fashion-MNIST\nprofile cpu, mean ± sample std over n seeds (none for n = 1)" noenhanced
set datafile separator ','
set xlabel 'epoch' noenhanced
set ylabel 'test accuracy (%)' noenhanced
set key below noenhanced
set grid lc rgb '#dddddd'
set style fill transparent solid 0.18 noborder
set xrange [1:10]
set xtics 0,1
set format x '%.0f'
unset mxtics
set offsets 0, 0, graph 0.05, graph 0.05
point_step = 1
plot 'fig2d.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#1b9e77' notitle, 'fig2d.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#1b9e77' title 'DFAD (n=5)', 'fig2d.csv' skip 1 using 2:(strcol(1) eq '+AR' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#d95f02' notitle, 'fig2d.csv' skip 1 using 2:(strcol(1) eq '+AR' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#d95f02' title '+AR (n=5)', 'fig2d.csv' skip 1 using 2:(strcol(1) eq '+VI' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#7570b3' notitle, 'fig2d.csv' skip 1 using 2:(strcol(1) eq '+VI' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#7570b3' title '+VI (n=5)', 'fig2d.csv' skip 1 using 2:(strcol(1) eq '+AR+VI' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e7298a' notitle, 'fig2d.csv' skip 1 using 2:(strcol(1) eq '+AR+VI' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#e7298a' title '+AR+VI (n=5)'
