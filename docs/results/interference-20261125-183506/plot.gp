# bench/interference/interference --hog-mode membw --hog-quota 10 --scenarios hpc-alone,dual-stack,native-alone
set terminal svg size 820,460 dynamic background rgb 'white'
set output '/work/main/docs/results/interference-20261125-183506/plot.svg'
set title "cg beside 2 commodity VM(s), hog membw: run time / native-alone"
set ylabel 'slowdown (median; bars: fastest to slowest run)'
set style fill solid 0.5 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set xtics nomirror
set key off
plot '/work/main/docs/results/interference-20261125-183506/plot.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa', \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 7 ps 0.5, \
     1 with lines dt 2 lc rgb 'gray'
