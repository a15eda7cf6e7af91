/* The Program and the input a benchmark image runs, embedded at build time: bench/mcu-image.ts
   passes their paths as BENCH_PROGRAM_FILE and BENCH_INPUT_FILE. The Program lies in flash,
   4-byte aligned as the loader requires. */
  .section .rodata.bench_payload, "a"
  .balign 16
  .global bench_program, bench_program_end, bench_input, bench_input_end
bench_program:
  .incbin BENCH_PROGRAM_FILE
bench_program_end:
  .balign 4
bench_input:
  .incbin BENCH_INPUT_FILE
bench_input_end:
