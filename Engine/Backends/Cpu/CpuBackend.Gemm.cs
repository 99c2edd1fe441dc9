namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    public override unsafe void Gemm(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Gemm of [{m}, {k}]·[{k}, {n}].");
        CheckView(a, (long)m * k, nameof(a));
        CheckView(b, (long)k * n, nameof(b));
        CheckView(c, (long)m * n, nameof(c));
        fixed (float* pa = a.Span(), pb = b.Span(), pc = c.Span())
        {
            Sgemm.Run(Tier, transposeA, transposeB, m, n, k, alpha, pa, transposeA ? m : k, pb, transposeB ? k : n,
                beta, pc, n, parallel: true);
        }
    }

    private static void CheckView(BufferView<float> view, long length, string name)
    {
        if (view.Length < length) throw new ArgumentException($"View {name} holds {view.Length} floats; the op needs {length}.", name);
    }
}
