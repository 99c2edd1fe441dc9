// Dropout kernel (one thread per element, implicitly grouped, extent = x's length): inverted dropout with
// u = CounterRng.Uniform(seed, counter + i), the same generator the host uses, so a mask is reproducible:
//   mask[i] = u ≥ ratio ? keepScale : 0, y[i] = x[i]·mask[i], keepScale = 1/(1 − ratio) computed by the caller.
// counter = counter + counterPerStep·record[Step]: a training step reads its number from the step record
// (StepRecord.cs); other callers pass counterPerStep 0 and a zero placeholder record.
using ILGPU;

namespace DeepGpu.Kernels;

public static class DropoutKernels
{
    public static void Forward(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<float> mask, float ratio, float keepScale,
        ulong seed, ulong counter, ulong counterPerStep, ArrayView<long> record)
    {
        int i = index;
        var u = CounterRng.Uniform(seed, counter + counterPerStep * (ulong)record[StepRecordKernels.Step] + (ulong)i);
        var m = u >= ratio ? keepScale : 0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}
