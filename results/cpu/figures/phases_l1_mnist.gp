set terminal pngcairo size 720,600 font 'Sans,11'
set output 'phases_l1_mnist.png'
set title "MNIST: fine-tuning after L1 pruning, per phase\nprofile cpu, mean ± sample std over n seeds (none for n = 1)" noenhanced
set datafile separator ','
set xlabel 'epoch' noenhanced
set ylabel 'test accuracy (%)' noenhanced
set key below noenhanced
set grid lc rgb '#dddddd'
set style fill transparent solid 0.18 noborder
set xrange [1:2]
set xtics 0,1
set format x '%.0f'
unset mxtics
set offsets 0, 0, graph 0.05, graph 0.05
point_step = 1
plot 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Finetuned' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#1b9e77' notitle, 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Finetuned' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#1b9e77' title 'L1 Finetuned (n=3)', 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Pre' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#d95f02' notitle, 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Pre' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#d95f02' title 'L1 Pre (n=3)', 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Post' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#7570b3' notitle, 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Post' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#7570b3' title 'L1 Post (n=3)', 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Pre-Post' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e7298a' notitle, 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Pre-Post' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#e7298a' title 'L1 Pre-Post (n=3)', 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Self' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#66a61e' notitle, 'phases_l1_mnist.csv' skip 1 using 2:(strcol(1) eq 'L1 Self' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#66a61e' title 'L1 Self (n=3)'
