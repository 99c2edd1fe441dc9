// The book's update rules as one fused pass over the flat parameter buffer (each value read and written
// once), vectorised with Vector<float> and split across the workers for large models.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    protected override void ApplyUpdateCore(UpdateRule rule, UpdateHyper hyper, in UpdateBuffers buffers)
    {
        var chunks = Pool.Chunks(buffers.Parameters.Length, 1 << 16);
        Pool.For(chunks, new UpdateJob(rule, hyper, buffers.Parameters, buffers.Gradients, buffers.FirstState, buffers.SecondState, chunks));
    }

    private readonly struct UpdateJob(UpdateRule rule, UpdateHyper hyper, BufferView<float> p, BufferView<float> g,
        BufferView<float> firstState, BufferView<float> secondState, int chunks) : WorkerPool.IWork
    {
        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, p.Length);
            var ps = p.Span()[first..last];
            var gs = g.Span()[first..last];
            var a = rule == UpdateRule.Sgd ? default : firstState.Span()[first..last];
            var b = rule == UpdateRule.Adam ? secondState.Span()[first..last] : default;
            float lr = hyper.LearningRate, d = hyper.FirstStateDecay, d2 = hyper.SecondStateDecay, eps = hyper.Epsilon;
            var i = 0;
            var w = Vector<float>.Count;
            ref var pr = ref MemoryMarshal.GetReference(ps);
            ref var gr = ref MemoryMarshal.GetReference(gs);
            ref var ar = ref MemoryMarshal.GetReference(a);
            ref var br = ref MemoryMarshal.GetReference(b);
            switch (rule)
            {
                case UpdateRule.Sgd:
                    for (; i <= ps.Length - w; i += w) Store(ref pr, i, Load(ref pr, i) - lr * Load(ref gr, i));
                    for (; i < ps.Length; i++) ps[i] -= lr * gs[i];
                    break;
                case UpdateRule.Momentum:
                    for (; i <= ps.Length - w; i += w)
                    {
                        var v = d * Load(ref ar, i) - lr * Load(ref gr, i);
                        Store(ref ar, i, v);
                        Store(ref pr, i, Load(ref pr, i) + v);
                    }
                    for (; i < ps.Length; i++)
                    {
                        a[i] = d * a[i] - lr * gs[i];
                        ps[i] += a[i];
                    }
                    break;
                case UpdateRule.Nesterov:
                    for (; i <= ps.Length - w; i += w)
                    {
                        var gv = Load(ref gr, i);
                        var v = d * Load(ref ar, i) - lr * gv;
                        Store(ref ar, i, v);
                        Store(ref pr, i, Load(ref pr, i) + (d * d * v - (1f + d) * lr * gv));
                    }
                    for (; i < ps.Length; i++)
                    {
                        a[i] = d * a[i] - lr * gs[i];
                        ps[i] += d * d * a[i] - (1f + d) * lr * gs[i];
                    }
                    break;
                case UpdateRule.AdaGrad:
                    for (; i <= ps.Length - w; i += w)
                    {
                        var gv = Load(ref gr, i);
                        var h = Load(ref ar, i) + gv * gv;
                        Store(ref ar, i, h);
                        Store(ref pr, i, Load(ref pr, i) - lr * gv / (Vector.SquareRoot(h) + new Vector<float>(eps)));
                    }
                    for (; i < ps.Length; i++)
                    {
                        a[i] += gs[i] * gs[i];
                        ps[i] -= lr * gs[i] / (MathF.Sqrt(a[i]) + eps);
                    }
                    break;
                case UpdateRule.RmsProp:
                    for (; i <= ps.Length - w; i += w)
                    {
                        var gv = Load(ref gr, i);
                        var h = d * Load(ref ar, i) + (1f - d) * gv * gv;
                        Store(ref ar, i, h);
                        Store(ref pr, i, Load(ref pr, i) - lr * gv / (Vector.SquareRoot(h) + new Vector<float>(eps)));
                    }
                    for (; i < ps.Length; i++)
                    {
                        a[i] = d * a[i] + (1f - d) * gs[i] * gs[i];
                        ps[i] -= lr * gs[i] / (MathF.Sqrt(a[i]) + eps);
                    }
                    break;
                case UpdateRule.Adam:
                    for (; i <= ps.Length - w; i += w)
                    {
                        var gv = Load(ref gr, i);
                        var m = Load(ref ar, i);
                        m += (1f - d) * (gv - m);
                        var v = Load(ref br, i);
                        v += (1f - d2) * (gv * gv - v);
                        Store(ref ar, i, m);
                        Store(ref br, i, v);
                        Store(ref pr, i, Load(ref pr, i) - lr * m / (Vector.SquareRoot(v) + new Vector<float>(eps)));
                    }
                    for (; i < ps.Length; i++)
                    {
                        a[i] += (1f - d) * (gs[i] - a[i]);
                        b[i] += (1f - d2) * (gs[i] * gs[i] - b[i]);
                        ps[i] -= lr * a[i] / (MathF.Sqrt(b[i]) + eps);
                    }
                    break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector<float> Load(ref float start, int i) => Vector.LoadUnsafe(ref start, (nuint)i);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(ref float start, int i, Vector<float> v) => v.StoreUnsafe(ref start, (nuint)i);
    }
}
