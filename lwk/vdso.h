/* The vDSO image (lwk/vdso/) and where exec puts it. */
#ifndef LWK_VDSO_H
#define LWK_VDSO_H

extern const unsigned char vdso_image[];
extern const unsigned long vdso_image_size;

#endif
