set terminal pngcairo size 720,600 font 'Sans,11'
set output 'study_top_class_fashion.png'
set title "Fashion-MNIST: fraction of generated images in the teacher's most frequent class (H4)\nprofile cpu, mean ± sample std over n seeds (none for n = 1)" noenhanced
set datafile separator ','
set xlabel 'epoch' noenhanced
set ylabel 'teacher_top_class_fraction' noenhanced
set key below noenhanced
set grid lc rgb '#dddddd'
set style fill transparent solid 0.18 noborder
set xrange [1:10]
set xtics 0,1
set format x '%.0f'
unset mxtics
set offsets 0, 0, graph 0.05, graph 0.05
point_step = 1
plot 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#1b9e77' notitle, 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'DFAD' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#1b9e77' title 'DFAD (n=5)', 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'R_l w=1' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#d95f02' notitle, 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'R_l w=1' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#d95f02' title 'R_l w=1 (n=5)', 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'AR w=0.1' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#7570b3' notitle, 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'AR w=0.1' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#7570b3' title 'AR w=0.1 (n=5)', 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'balance w=5' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e7298a' notitle, 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'balance w=5' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#e7298a' title 'balance w=5 (n=5)', 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'AR w=0.1 + balance' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#66a61e' notitle, 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'AR w=0.1 + balance' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#66a61e' title 'AR w=0.1 + balance (n=5)', 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'Proposed' ? $3-$4 : 1/0):($3+$4) with filledcurves lc rgb '#e6ab02' notitle, 'study_top_class_fashion.csv' skip 1 using 2:(strcol(1) eq 'Proposed' ? $3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb '#e6ab02' title 'Proposed (n=5)'
