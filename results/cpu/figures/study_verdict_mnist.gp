set terminal pngcairo size 720,600 font 'Sans,11'
set output 'study_verdict_mnist.png'
set title "MNIST: test accuracy per epoch, DFAD against Proposed's two readings and the best combination\nprofile cpu, mean ± sample std over n seeds (none for n = 1)" noenhanced
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
plot 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#1b9e77' notitle, 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#1b9e77' title 'DFAD (n=5)', 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'Proposed' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#d95f02' notitle, 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'Proposed' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#d95f02' title 'Proposed (n=5)', 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'Proposed (validation reading)' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#7570b3' notitle, 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'Proposed (validation reading)' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#7570b3' title 'Proposed (validation reading) (n=5)', 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'Best combination' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e7298a' notitle, 'study_verdict_mnist.csv' skip 1 using 2:(strcol(1) eq 'Best combination' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#e7298a' title 'Best combination (n=5)'
