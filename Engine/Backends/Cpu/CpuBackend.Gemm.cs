namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    protected override unsafe void GemmCore(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c)
    {
        fixed (float* pa = a.Span(), pb = b.Span(), pc = c.Span())
        {
            Sgemm.Run(Tier, transposeA, transposeB, m, n, k, alpha, pa, transposeA ? m : k, pb, transposeB ? k : n,
                beta, pc, n, parallel: true);
        }
    }
}
