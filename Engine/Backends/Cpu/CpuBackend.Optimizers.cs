// The book's update rules as one fused pass over the flat parameter buffer (each value read and written
// once), vectorised at the backend's tier and split across the workers for large models.
using System.Runtime.CompilerServices;
using DeepGpu.Kernels;

namespace DeepGpu.Backends.Cpu;

public sealed partial class CpuBackend
{
    protected override void ApplyUpdateCore(UpdateRule rule, UpdateHyper hyper, in UpdateBuffers buffers)
    {
        var record = buffers.Record is { } r ? r.Buffer.View.Span() : default;
        if (buffers.Record is not null && rule == UpdateRule.Adam)
        {
            hyper = hyper with
            {
                LearningRate = StepRecordKernels.AdamRate(hyper.LearningRate, hyper.FirstStateDecay, hyper.SecondStateDecay, record[StepRecordKernels.Update]),
            };
        }
        var chunks = Pool.Chunks(buffers.Parameters.Length, 1 << 16);
        Pool.For(chunks, new UpdateJob(rule, hyper, Tier, buffers.Parameters, buffers.Gradients, buffers.FirstState, buffers.SecondState, chunks));
        if (buffers.Record is not null) StepRecord.Advance(record);
    }

    private readonly struct UpdateJob(UpdateRule rule, UpdateHyper hyper, CpuTier tier, BufferView<float> p, BufferView<float> g,
        BufferView<float> firstState, BufferView<float> secondState, int chunks) : WorkerPool.IWork
    {
        public void Run(int index, int worker)
        {
            var (first, last) = WorkerPool.Chunk(index, chunks, p.Length);
            var kernel = new UpdateKernel(rule, hyper, p.Span()[first..last], g.Span()[first..last],
                rule == UpdateRule.Sgd ? default : firstState.Span()[first..last], rule == UpdateRule.Adam ? secondState.Span()[first..last] : default);
            TierLoop.Run(tier, last - first, ref kernel);
        }
    }

    /// <summary>One rule's step on the parameters p, gradients g and state a (and b for Adam's second moment).</summary>
    private readonly ref struct UpdateKernel(UpdateRule rule, UpdateHyper hyper, Span<float> p, ReadOnlySpan<float> g, Span<float> a, Span<float> b)
        : IElementwise
    {
        private readonly UpdateRule _rule = rule;
        private readonly float _lr = hyper.LearningRate, _d = hyper.FirstStateDecay, _d2 = hyper.SecondStateDecay, _eps = hyper.Epsilon;
        private readonly Span<float> _p = p, _a = a, _b = b;
        private readonly ReadOnlySpan<float> _g = g;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step<TV, TL>(nuint i) where TV : struct where TL : struct, ILanes<TV>
        {
            var lr = TL.Broadcast(_lr);
            var d = TL.Broadcast(_d);
            var gv = TL.Load(_g, i);
            var pv = TL.Load(_p, i);
            switch (_rule)
            {
                case UpdateRule.Sgd:
                    TL.Store(TL.Subtract(pv, TL.Multiply(lr, gv)), _p, i);
                    break;
                case UpdateRule.Momentum:
                {
                    var v = TL.Subtract(TL.Multiply(d, TL.Load(_a, i)), TL.Multiply(lr, gv));
                    TL.Store(v, _a, i);
                    TL.Store(TL.Add(pv, v), _p, i);
                    break;
                }
                case UpdateRule.Nesterov:
                {
                    var v = TL.Subtract(TL.Multiply(d, TL.Load(_a, i)), TL.Multiply(lr, gv));
                    TL.Store(v, _a, i);
                    var step = TL.Subtract(TL.Multiply(TL.Multiply(d, d), v), TL.Multiply(TL.Broadcast((1f + _d) * _lr), gv));
                    TL.Store(TL.Add(pv, step), _p, i);
                    break;
                }
                case UpdateRule.AdaGrad:
                {
                    var h = TL.Add(TL.Load(_a, i), TL.Multiply(gv, gv));
                    TL.Store(h, _a, i);
                    TL.Store(TL.Subtract(pv, TL.Divide(TL.Multiply(lr, gv), TL.Add(TL.Sqrt(h), TL.Broadcast(_eps)))), _p, i);
                    break;
                }
                case UpdateRule.RmsProp:
                {
                    var h = TL.Add(TL.Multiply(d, TL.Load(_a, i)), TL.Multiply(TL.Broadcast(1f - _d), TL.Multiply(gv, gv)));
                    TL.Store(h, _a, i);
                    TL.Store(TL.Subtract(pv, TL.Divide(TL.Multiply(lr, gv), TL.Add(TL.Sqrt(h), TL.Broadcast(_eps)))), _p, i);
                    break;
                }
                case UpdateRule.Adam:
                {
                    var m = TL.Load(_a, i);
                    m = TL.Add(m, TL.Multiply(TL.Broadcast(1f - _d), TL.Subtract(gv, m)));
                    var v = TL.Load(_b, i);
                    v = TL.Add(v, TL.Multiply(TL.Broadcast(1f - _d2), TL.Subtract(TL.Multiply(gv, gv), v)));
                    TL.Store(m, _a, i);
                    TL.Store(v, _b, i);
                    TL.Store(TL.Subtract(pv, TL.Divide(TL.Multiply(lr, m), TL.Add(TL.Sqrt(v), TL.Broadcast(_eps)))), _p, i);
                    break;
                }
            }
        }
    }
}
