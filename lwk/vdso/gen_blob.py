#!/usr/bin/env python3
"""Turns the built vDSO into C: a page-aligned byte array the kernel copies to the program."""
import sys

data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "w") as f:
    f.write("/* Generated from vdso.so by gen_blob.py: do not edit. */\n")
    f.write('#include "vdso.h"\n\n')
    f.write("const unsigned char vdso_image[] __attribute__((aligned(4096))) = {\n")
    for i in range(0, len(data), 16):
        f.write("\t" + ", ".join(str(b) for b in data[i:i + 16]) + ",\n")
    f.write("};\n")
    f.write(f"const unsigned long vdso_image_size = {len(data)};\n")
