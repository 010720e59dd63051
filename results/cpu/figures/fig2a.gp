set terminal pngcairo size 720,600 font 'Sans,11'
set output 'fig2a.png'
set title "(a) data-driven baselines vs labelled data, MNIST\nprofile cpu, epoch of best val_accuracy, mean ± sample std over n seeds (none for n = 1)" noenhanced
set datafile separator ','
set xlabel 'labelled training images (log scale)' noenhanced
set ylabel 'test accuracy (%)' noenhanced
set key below noenhanced
set grid lc rgb '#dddddd'
set style fill transparent solid 0.18 noborder
set logscale x
set xrange [33.3333:82500]
plot 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'KD' ? $4 : 1/0):(strlen(strcol(5)) == 0 ? 0 : column(5)) with yerrorlines lw 2 pt 7 lc rgb '#1b9e77' title 'KD (n=3)', 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'FITNET' ? $4 : 1/0):(strlen(strcol(5)) == 0 ? 0 : column(5)) with yerrorlines lw 2 pt 7 lc rgb '#d95f02' title 'FITNET (n=3)', 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'AT' ? $4 : 1/0):(strlen(strcol(5)) == 0 ? 0 : column(5)) with yerrorlines lw 2 pt 7 lc rgb '#7570b3' title 'AT (n=3)', 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'FT' ? $4 : 1/0):(strlen(strcol(5)) == 0 ? 0 : column(5)) with yerrorlines lw 2 pt 7 lc rgb '#e7298a' title 'FT (n=3)', 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'Proposed (no labelled data)' ? $4-$5 : 1/0):($4+$5) with filledcurves lc rgb '#66a61e' notitle, 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'Proposed (no labelled data)' ? $4 : 1/0) with lines lw 2 dt 2 lc rgb '#66a61e' title 'Proposed (no labelled data) (n=5)', 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'DFAL (no labelled data)' ? $4-$5 : 1/0):($4+$5) with filledcurves lc rgb '#e6ab02' notitle, 'fig2a.csv' skip 1 using 2:(strcol(1) eq 'DFAL (no labelled data)' ? $4 : 1/0) with lines lw 2 dt 2 lc rgb '#e6ab02' title 'DFAL (no labelled data) (n=5)'
