/* Measures one core's FP32 FMA peak: 12 independent chains of 512-bit (AVX-512) or 256-bit (AVX2) FMAs, timed in
   process CPU time, best of 5. The README's "FP32 peak" figure comes from this program (tools/fma-peak/run.sh). */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    const long iters = 100000000L;
    double best = 0;
    for (int round = 0; round < 5; round++) {
#ifdef __AVX512F__
        __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(0.999999f), acc[12];
        for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
        double t0 = cpu_seconds();
        for (long n = 0; n < iters; n++)
            for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, a);
        double dt = cpu_seconds() - t0;
        __m512 s = acc[0];
        for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, acc[i]);
        volatile float sink = _mm512_reduce_add_ps(s); (void)sink;
        double flops = (double)iters * 12 * 16 * 2;
#else
        __m256 a = _mm256_set1_ps(1.0f), b = _mm256_set1_ps(0.999999f), acc[12];
        for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
        double t0 = cpu_seconds();
        for (long n = 0; n < iters; n++)
            for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], b, a);
        double dt = cpu_seconds() - t0;
        float out[8]; __m256 s = acc[0];
        for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
        _mm256_storeu_ps(out, s); volatile float sink = out[0]; (void)sink;
        double flops = (double)iters * 12 * 8 * 2;
#endif
        double g = flops / dt / 1e9;
        if (g > best) best = g;
    }
    printf("{\"fp32_fma_gflops_one_core\":%.1f}\n", best);
    return 0;
}
