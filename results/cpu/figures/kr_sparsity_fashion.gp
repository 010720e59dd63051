set terminal pngcairo size 720,600 font 'Sans,11'
set output 'kr_sparsity_fashion.png'
set title "Fashion-MNIST: fraction of the student's convolution weights below 1 % of the largest\nprofile cpu, mean ± sample std over n seeds (none for n = 1)" noenhanced
set datafile separator ','
set xlabel 'epoch' noenhanced
set ylabel 'conv_weights_near_zero' noenhanced
set key below noenhanced
set grid lc rgb '#dddddd'
set style fill transparent solid 0.18 noborder
set xrange [1:10]
set xtics 0,1
set format x '%.0f'
unset mxtics
set offsets 0, 0, graph 0.05, graph 0.05
point_step = 1
plot 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'Student' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#1b9e77' notitle, 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'Student' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#1b9e77' title 'Student (n=3)', 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KD' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#d95f02' notitle, 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KD' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#d95f02' title 'KD (n=3)', 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'FitNet' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#7570b3' notitle, 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'FitNet' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#7570b3' title 'FitNet (n=3)', 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR without Ψ' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e7298a' notitle, 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR without Ψ' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#e7298a' title 'KR without Ψ (n=3)', 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR (L1)' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#66a61e' notitle, 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR (L1)' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#66a61e' title 'KR (L1) (n=3)', 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e6ab02' notitle, 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#e6ab02' title 'KR (n=3)', 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR + KD' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#a6761d' notitle, 'kr_sparsity_fashion.csv' skip 1 using 2:(strcol(1) eq 'KR + KD' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#a6761d' title 'KR + KD (n=3)'
