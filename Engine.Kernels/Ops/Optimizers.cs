// Optimizer kernels: one launch updates the whole flat parameter buffer, one thread per parameter
// (implicitly grouped, extent = p's length). The rules are the book's (common/optimizer.py):
//   Sgd:      p −= lr·g
//   Momentum: v = m·v − lr·g; p += v                                (first state v)
//   Nesterov: v = m·v − lr·g; p += m·m·v − (1 + m)·lr·g             (first state v, the book's form)
//   AdaGrad:  h += g²; p −= lr·g / (√h + eps)                       (first state h)
//   RmsProp:  h = d·h + (1 − d)·g²; p −= lr·g / (√h + eps)          (first state h)
//   Adam:     m += (1 − β1)(g − m); v += (1 − β2)(g² − v); p −= lr_t·m / (√v + eps)   (first state m, second state v;
//             lr_t is bias-corrected by the caller, or here from the step record's t)
// Rules without state are passed a placeholder view that is never read. With FromRecord set, the update is a training
// step's last launch: its thread 0 advances the step record (StepRecord.cs) and Adam takes t from the record.
using ILGPU;

namespace DeepGpu.Kernels;

/// <summary>Hyper-parameters of one update (see UpdateHyper: the first state's decay is momentum, RMSprop's d or β1; the second's β2).</summary>
public struct UpdateArgs
{
    public float LearningRate, FirstStateDecay, SecondStateDecay, Epsilon;
    /// <summary>1: read t from the step record and advance it; 0: the record is a never-read placeholder.</summary>
    public int FromRecord;
}

public static class OptimizerKernels
{
    public static void Sgd(Index1D i, UpdateArgs h, ArrayView<float> p, ArrayView<float> g, ArrayView<long> record)
    {
        AdvanceRecord(i, h, record);
        p[i] -= h.LearningRate * g[i];
    }

    private static void AdvanceRecord(Index1D i, UpdateArgs h, ArrayView<long> record)
    {
        if (h.FromRecord != 0 && i == 0) StepRecordKernels.Advance(record);
    }

    public static void Momentum(Index1D i, UpdateArgs h, ArrayView<float> p, ArrayView<float> g, ArrayView<float> v, ArrayView<long> record)
    {
        AdvanceRecord(i, h, record);
        var vi = h.FirstStateDecay * v[i] - h.LearningRate * g[i];
        v[i] = vi;
        p[i] += vi;
    }

    public static void Nesterov(Index1D i, UpdateArgs h, ArrayView<float> p, ArrayView<float> g, ArrayView<float> v, ArrayView<long> record)
    {
        AdvanceRecord(i, h, record);
        var gi = g[i];
        var vi = h.FirstStateDecay * v[i] - h.LearningRate * gi;
        v[i] = vi;
        p[i] += h.FirstStateDecay * h.FirstStateDecay * vi - (1f + h.FirstStateDecay) * h.LearningRate * gi;
    }

    public static void AdaGrad(Index1D i, UpdateArgs h, ArrayView<float> p, ArrayView<float> g, ArrayView<float> s, ArrayView<long> record)
    {
        AdvanceRecord(i, h, record);
        var gi = g[i];
        var si = s[i] + gi * gi;
        s[i] = si;
        p[i] -= h.LearningRate * gi / (MathF.Sqrt(si) + h.Epsilon);
    }

    public static void RmsProp(Index1D i, UpdateArgs h, ArrayView<float> p, ArrayView<float> g, ArrayView<float> s, ArrayView<long> record)
    {
        AdvanceRecord(i, h, record);
        var gi = g[i];
        var si = h.FirstStateDecay * s[i] + (1f - h.FirstStateDecay) * gi * gi;
        s[i] = si;
        p[i] -= h.LearningRate * gi / (MathF.Sqrt(si) + h.Epsilon);
    }

    public static void Adam(Index1D i, UpdateArgs h, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, ArrayView<long> record)
    {
        AdvanceRecord(i, h, record);
        var gi = g[i];
        var mi = m[i] + (1f - h.FirstStateDecay) * (gi - m[i]);
        var vi = v[i] + (1f - h.SecondStateDecay) * (gi * gi - v[i]);
        m[i] = mi;
        v[i] = vi;
        var lr = h.FromRecord != 0 ? StepRecordKernels.AdamRate(h.LearningRate, h.FirstStateDecay, h.SecondStateDecay, record[StepRecordKernels.Update]) : h.LearningRate;
        p[i] -= lr * mi / (MathF.Sqrt(vi) + h.Epsilon);
    }
}
