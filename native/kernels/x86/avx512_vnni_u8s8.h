// The avx512-vnni set's form of the u8s8 matrix product (see kernels.inc), shared by avx512_vnni.cc
// and test/native/vnni_u8s8_emulated_test.cc, which builds the same product with the 512-bit
// operations emulated: so what that test checks is what the set runs.
//
// vpdpbusd takes x + 128 as u8 and adds its four products straight into int32: exact for any
// weight, so every matrix product of the set takes u8s8, on 512-bit registers; convolutions other
// than 1x1 stride 1 take im2col rows (vpdpbusd multiplies the int8 rows as they are).
#pragma once
#define CLEAVE_X86_U8S8_512 1
#define CLEAVE_X86_U8S8_SHIFT 128
#define CLEAVE_X86_U8S8_ANY_WEIGHTS true
#define CLEAVE_X86_U8S8_MAX_SHALLOW_K 0
#define CLEAVE_X86_U8S8_DIRECT_CONV 0
#define CLEAVE_X86_U8S8_MAX_ROWS INT32_MAX
