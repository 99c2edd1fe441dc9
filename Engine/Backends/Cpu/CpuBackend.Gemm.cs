namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    public override void Gemm(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c)
    {
        var aa = a.Array();
        var ba = b.Array();
        var ca = c.Array();
        int ao = a.Offset, bo = b.Offset, co = c.Offset;
        Parallel.For(0, m, i =>
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                {
                    var av = transposeA ? aa[ao + p * m + i] : aa[ao + i * k + p];
                    var bv = transposeB ? ba[bo + j * k + p] : ba[bo + p * n + j];
                    sum += av * bv;
                }
                var idx = co + i * n + j;
                ca[idx] = beta == 0f ? alpha * sum : alpha * sum + beta * ca[idx];
            }
        });
    }
}
