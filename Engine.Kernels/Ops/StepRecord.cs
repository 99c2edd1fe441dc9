// The step record: the values that change from one training step to the next, kept in device memory so that a
// step's launches and their arguments are the same every step (and can be recorded once and replayed, as a CUDA
// graph). Eight longs:
//   0 Step, 1 Start, 2 Update: the running step's number (dropout and augmentation counters), the first position
//     of its batch in the gather order, and the optimizer's update count t (Adam's bias correction);
//   3 NextStep, 4 NextStart, 5 NextUpdate: the same for the step after it;
//   6 Batch, 7 Count: the next batch starts Batch later, or at 0 when it would run past Count (the order's length).
// Two existing launches keep it, without a launch of its own: the gather's thread 0 publishes the next values as
// the running ones (the gather's other threads read only NextStart), and the update's thread 0 writes the next
// values (its other threads read only the running ones), so no launch reads a slot it writes.
using ILGPU;

namespace DeepGpu.Kernels;

public static class StepRecordKernels
{
    public const int Step = 0, Start = 1, Update = 2, NextStep = 3, NextStart = 4, NextUpdate = 5, Batch = 6, Count = 7, Length = 8;

    /// <summary>Where the batch after one at <paramref name="start"/> begins.</summary>
    public static long FollowingStart(long start, long batch, long count) => start + 2 * batch > count ? 0 : start + batch;

    /// <summary>Adam's bias-corrected step size lr·√(1 − β2^t)/(1 − β1^t), in float (as the device computes it).</summary>
    /// <remarks>
    /// 1 − β^t as −expm1(t·ln β): for small t, 1 − β^t in float would cancel (β2 = 0.999, t = 2 lost 3e-6 of the
    /// step size); this keeps it within a few float roundings of the host's double. No MathF.Pow: its PTX uses doubles.
    /// </remarks>
    public static float AdamRate(float learningRate, float beta1, float beta2, long t) =>
        learningRate * MathF.Sqrt(OneMinusPower(beta2, t)) / OneMinusPower(beta1, t);

    /// <summary>1 − β^t for β in (0, 1).</summary>
    public static float OneMinusPower(float beta, long t)
    {
        var x = t * MathF.Log(beta);
        if (x < -0.25f) return 1f - MathF.Exp(x);
        // −expm1(x) by its series: |x| ≤ 0.25 leaves a relative error below 1e-9.
        return -x * (1f + x * (1f / 2f + x * (1f / 6f + x * (1f / 24f + x * (1f / 120f + x * (1f / 720f + x * (1f / 5040f)))))));
    }

    /// <summary>The gather's part: the next values become the running ones.</summary>
    public static void Publish(ArrayView<long> r)
    {
        r[Step] = r[NextStep];
        r[Start] = r[NextStart];
        r[Update] = r[NextUpdate];
    }

    /// <summary>The update's part: the values of the step after the running one.</summary>
    public static void Advance(ArrayView<long> r)
    {
        r[NextStep] = r[Step] + 1;
        r[NextStart] = FollowingStart(r[Start], r[Batch], r[Count]);
        r[NextUpdate] = r[Update] + 1;
    }
}
