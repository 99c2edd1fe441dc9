// Softmax and loss kernels over row-major [rows, cols].
//   Softmax (one thread per row): y = exp(x − max) / Σ exp(x − max).
//   SoftmaxCrossEntropy (one thread per row): p = softmax(logits); loss[0] += −log(p[label] + 1e-7) / rows
//     (float atomic: the order of a loss sum does not feed training).
//   SoftmaxCrossEntropyBackward (one thread per element): d = (p − [c = label]) / rows.
//   SumSquaredError (one thread per row): loss[0] += 0.5·Σ_c (y − t)² / rows.
//   SumSquaredErrorBackward (one thread per element): d = (y − t) / rows.
//   OneHot (one thread per element): t[r, c] = [c = label[r]].
//   CountCorrect (one thread per row): counter[0] += [argmax_c scores[r, c] = label[r]], first index on ties.
//   SoftmaxLoss (one thread per row): SoftmaxCrossEntropy, CountCorrect on the probabilities and, when
//     withGradient is 1, SoftmaxCrossEntropyBackward, in one pass (a loss layer's whole work, one launch).
// All implicitly grouped. A row per thread suits the book's class counts (10); rows are the parallelism.
using ILGPU;

namespace DeepGpu.Kernels;

public static class SoftmaxKernels
{
    private static void SoftmaxRow(ArrayView<float> x, ArrayView<float> y, int offset, int cols)
    {
        var max = x[offset];
        for (var c = 1; c < cols; c++) max = MathF.Max(max, x[offset + c]);
        var sum = 0f;
        for (var c = 0; c < cols; c++)
        {
            var e = MathF.Exp(x[offset + c] - max);
            y[offset + c] = e;
            sum += e;
        }
        var inv = 1f / sum;
        for (var c = 0; c < cols; c++) y[offset + c] *= inv;
    }

    public static void Softmax(Index1D row, ArrayView<float> x, ArrayView<float> y, int cols) => SoftmaxRow(x, y, row * cols, cols);

    public static void SoftmaxCrossEntropy(Index1D row, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> probabilities,
        ArrayView<float> lossSum, int rows, int cols)
    {
        var offset = row * cols;
        SoftmaxRow(logits, probabilities, offset, cols);
        var p = probabilities[offset + labels[row]];
        Atomic.Add(ref lossSum[0], -MathF.Log(p + 1e-7f) / rows);
    }

    public static void SoftmaxCrossEntropyBackward(Index1D i, ArrayView<float> probabilities, ArrayView<int> labels,
        ArrayView<float> dlogits, int rows, int cols)
    {
        var r = i / cols;
        var c = i - r * cols;
        var target = c == labels[r] ? 1f : 0f;
        dlogits[i] = (probabilities[i] - target) / rows;
    }

    public static void SumSquaredError(Index1D row, ArrayView<float> y, ArrayView<float> t, ArrayView<float> lossSum, int rows, int cols)
    {
        var offset = row * cols;
        var sum = 0f;
        for (var c = 0; c < cols; c++)
        {
            var d = y[offset + c] - t[offset + c];
            sum += d * d;
        }
        Atomic.Add(ref lossSum[0], 0.5f * sum / rows);
    }

    public static void SumSquaredErrorBackward(Index1D i, ArrayView<float> y, ArrayView<float> t, ArrayView<float> dy, int rows) =>
        dy[i] = (y[i] - t[i]) / rows;

    public static void OneHot(Index1D i, ArrayView<int> labels, ArrayView<float> t, int cols)
    {
        var r = i / cols;
        t[i] = i - r * cols == labels[r] ? 1f : 0f;
    }

    public static void SoftmaxLoss(Index1D row, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> probabilities,
        ArrayView<float> lossSum, ArrayView<float> counter, ArrayView<float> dlogits, int rows, int cols, int withGradient)
    {
        SoftmaxCrossEntropy(row, logits, labels, probabilities, lossSum, rows, cols);
        CountCorrect(row, probabilities, labels, counter, cols);
        if (withGradient == 0) return;
        var offset = row * cols;
        var label = labels[row];
        for (var c = 0; c < cols; c++) dlogits[offset + c] = (probabilities[offset + c] - (c == label ? 1f : 0f)) / rows;
    }

    public static void CountCorrect(Index1D row, ArrayView<float> scores, ArrayView<int> labels, ArrayView<float> counter, int cols)
    {
        var offset = row * cols;
        var best = 0;
        var bestValue = scores[offset];
        for (var c = 1; c < cols; c++)
        {
            var v = scores[offset + c];
            if (v > bestValue)
            {
                bestValue = v;
                best = c;
            }
        }
        if (best == labels[row]) Atomic.Add(ref counter[0], 1f);
    }
}
