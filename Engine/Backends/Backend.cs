namespace DeepGpu.Backends;

/// <summary>
/// Owns device memory and runs ops. Layers, the plan and the trainer talk to a backend only through this
/// contract, so every backend runs every network. Layout is row-major; images are NCHW.
/// </summary>
/// <remarks>
/// Ops are queued in order on one stream and may run asynchronously; only <see cref="Download{T}"/> and
/// <see cref="Synchronize"/> wait. Unless an op says it accumulates (+=), it overwrites its outputs.
/// Outputs never alias inputs unless the op says so. Every op must handle every size, including 1.
/// </remarks>
public abstract class Backend : IDisposable
{
    /// <summary>Short backend name as the CLI spells it: cpu, ilgpu-cpu, cuda or opencl.</summary>
    public abstract string Name { get; }

    /// <summary>The device this backend runs on, in words (for logs and benchmark tables).</summary>
    public abstract string DeviceName { get; }

    // ---- memory -------------------------------------------------------------------------------------

    /// <summary>Allocates a zero-filled buffer of <paramref name="length"/> elements.</summary>
    public abstract DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged;

    /// <summary>Copies host data into a view of the same length.</summary>
    public abstract void Upload<T>(ReadOnlySpan<T> source, BufferView<T> destination) where T : unmanaged;

    /// <summary>Waits for queued work, then copies a view to the host.</summary>
    public abstract void Download<T>(BufferView<T> source, Span<T> destination) where T : unmanaged;

    /// <summary>Waits until all queued work is done.</summary>
    public abstract void Synchronize();

    /// <summary>x[i] = value.</summary>
    public abstract void Fill(BufferView<float> x, float value);

    /// <summary>destination[i] = source[i].</summary>
    public abstract void Copy(BufferView<float> source, BufferView<float> destination);

    /// <summary>y[i] += alpha·x[i] (used for weight decay: grad += λ·W).</summary>
    public abstract void AddScaled(BufferView<float> x, float alpha, BufferView<float> y);

    /// <summary>accumulator[0] += scale·Σ x[i]² (the weight-decay term of the loss).</summary>
    public abstract void SumOfSquares(BufferView<float> x, float scale, BufferView<float> accumulator);

    /// <summary>y[i] = x[i]·mask[i] (dropout backward, and forward with a given mask).</summary>
    public abstract void Multiply(BufferView<float> x, BufferView<float> mask, BufferView<float> y);

    // ---- dense layers -------------------------------------------------------------------------------

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C with C [m, n]; op(A) is [m, k] (A stored [k, m] when transposed), op(B)
    /// is [k, n] (B stored [n, k] when transposed). beta = 0 ignores C's old contents, NaN included.
    /// </summary>
    public abstract void Gemm(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c);

    /// <summary>x[r, c] += bias[c] for x [rows, cols].</summary>
    public abstract void AddBias(BufferView<float> x, BufferView<float> bias, int rows, int cols);

    /// <summary>db[c] = Σ_r dy[r, c] for dy [rows, cols].</summary>
    public abstract void BiasGradient(BufferView<float> dy, BufferView<float> db, int rows, int cols);

    /// <summary>y = f(x) element-wise. y may be x.</summary>
    public abstract void ActivationForward(Activation kind, BufferView<float> x, BufferView<float> y);

    /// <summary>dx = dy·f'(x), with f' written through the forward output y. dx may be dy.</summary>
    public abstract void ActivationBackward(Activation kind, BufferView<float> y, BufferView<float> dy, BufferView<float> dx);

    // ---- softmax and losses ---------------------------------------------------------------------------

    /// <summary>Row-wise softmax of x [rows, cols], subtracting the row maximum first.</summary>
    public abstract void Softmax(BufferView<float> x, BufferView<float> y, int rows, int cols);

    /// <summary>
    /// probabilities = softmax(logits); lossSum[0] += Σ_r −log(p[r, label_r] + 1e-7) / rows (the book's
    /// cross_entropy_error, mean over the batch).
    /// </summary>
    public abstract void SoftmaxCrossEntropy(BufferView<float> logits, BufferView<int> labels,
        BufferView<float> probabilities, BufferView<float> lossSum, int rows, int cols);

    /// <summary>dlogits = (probabilities − onehot(labels)) / rows.</summary>
    public abstract void SoftmaxCrossEntropyBackward(BufferView<float> probabilities, BufferView<int> labels,
        BufferView<float> dlogits, int rows, int cols);

    /// <summary>lossSum[0] += 0.5·Σ(y − t)² / rows (the book's sum_squared_error, mean over the batch).</summary>
    public abstract void SumSquaredError(BufferView<float> y, BufferView<float> t, BufferView<float> lossSum, int rows, int cols);

    /// <summary>dy = (y − t) / rows.</summary>
    public abstract void SumSquaredErrorBackward(BufferView<float> y, BufferView<float> t, BufferView<float> dy, int rows, int cols);

    /// <summary>t[r, c] = 1 where c = labels[r], else 0.</summary>
    public abstract void OneHot(BufferView<int> labels, BufferView<float> t, int rows, int cols);

    /// <summary>counter[0] += the number of rows whose arg-max (first on ties) equals the label.</summary>
    public abstract void CountCorrect(BufferView<float> scores, BufferView<int> labels, BufferView<float> counter, int rows, int cols);

    // ---- data ---------------------------------------------------------------------------------------

    /// <summary>
    /// Gathers a batch from a dataset stored on the device as bytes: for i in [0, count),
    /// s = order[start + i]: x[i, j] = images[s·sampleLength + j]·scale and y[i] = labels[s].
    /// </summary>
    public abstract void GatherBatch(BufferView<byte> images, BufferView<byte> labels, BufferView<int> order,
        int start, int count, int sampleLength, float scale, BufferView<float> x, BufferView<int> y);

    /// <summary>
    /// Writes a randomly shifted, rotated and scaled copy of each image of x [N, C, H, W] into y (same shape),
    /// the transform of image n drawn from <see cref="DeepGpu.Kernels.CounterRng"/> with (seed, counter·N + n).
    /// </summary>
    public abstract void Augment(BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, ulong counter);

    // ---- optimizers ---------------------------------------------------------------------------------

    /// <summary>
    /// One optimizer step over the flat parameter buffer p with gradients g and the rule's state buffers
    /// (s1: velocity, h or Adam's m; s2: Adam's v; pass empty views where a rule has no state).
    /// </summary>
    public abstract void ApplyUpdate(UpdateRule rule, UpdateHyper hyper, BufferView<float> p, BufferView<float> g,
        BufferView<float> s1, BufferView<float> s2);

    // ---- convolutional layers -----------------------------------------------------------------------

    /// <summary>Floats of scratch memory the convolution ops need for this geometry (0 if none).</summary>
    public abstract long ConvolutionWorkspaceLength(ConvolutionGeometry g);

    /// <summary>y = conv(x, w) + b.</summary>
    public abstract void ConvolutionForward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w,
        BufferView<float> b, BufferView<float> y, BufferView<float> workspace);

    /// <summary>dw, db and (when dx is not empty) dx of a convolution, given dy.</summary>
    public abstract void ConvolutionBackward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w,
        BufferView<float> dy, BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace);

    /// <summary>
    /// y = max(0, conv(x, w) + b): a convolution and the ReLU after it in one op, so a backend can apply the
    /// ReLU while its outputs are still in cache. This default runs the two ops one after the other.
    /// </summary>
    public virtual void ConvolutionReluForward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w,
        BufferView<float> b, BufferView<float> y, BufferView<float> workspace)
    {
        ConvolutionForward(g, x, w, b, y, workspace);
        ActivationForward(Activation.Relu, y, y);
    }

    /// <summary>
    /// Backward of <see cref="ConvolutionReluForward"/>: <paramref name="dy"/> is the gradient at the ReLU's output
    /// <paramref name="y"/>. Backends may overwrite dy with the gradient at the convolution's output (this default does).
    /// </summary>
    public virtual void ConvolutionReluBackward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> y,
        BufferView<float> dy, BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace)
    {
        ActivationBackward(Activation.Relu, y, dy, dy);
        ConvolutionBackward(g, x, w, dy, dx, dw, db, workspace);
    }

    /// <summary>y = pool(x). For max pooling, argmax[o] is the flat index into x of each output's winner.</summary>
    public abstract void PoolingForward(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax);

    /// <summary>dx from dy (dx is overwritten; overlapping windows add up).</summary>
    public abstract void PoolingBackward(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx);

    // ---- normalisation and dropout ------------------------------------------------------------------

    /// <summary>
    /// Training mode: normalises x with the batch's mean and biased variance per channel, y = γ·x̂ + β, saves the
    /// mean and 1/√(var + eps) for backward, and updates running = momentum·running + (1 − momentum)·batch.
    /// Inference mode (training false): uses the running statistics and leaves them and the saved ones alone.
    /// </summary>
    public abstract void BatchNormForward(NormalizationGeometry g, bool training, float momentum, float epsilon,
        BufferView<float> x, BufferView<float> gamma, BufferView<float> beta, BufferView<float> y,
        BufferView<float> runningMean, BufferView<float> runningVar, BufferView<float> savedMean, BufferView<float> savedInvStd);

    /// <summary>dx, dγ and dβ of training-mode batch normalisation.</summary>
    public abstract void BatchNormBackward(NormalizationGeometry g, BufferView<float> x, BufferView<float> gamma,
        BufferView<float> dy, BufferView<float> savedMean, BufferView<float> savedInvStd,
        BufferView<float> dx, BufferView<float> dgamma, BufferView<float> dbeta);

    /// <summary>
    /// Inverted dropout: mask[i] = 1/(1 − ratio) where u ≥ ratio else 0, u = CounterRng.Uniform(seed, counter + i);
    /// y = x·mask.
    /// </summary>
    public abstract void DropoutForward(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, ulong counter);

    // ---- precision ----------------------------------------------------------------------------------

    /// <summary>x[i] = (float)(Half)x[i]: rounds to the nearest 16-bit float (half-precision inference).</summary>
    public abstract void RoundToHalf(BufferView<float> x);

    public abstract void Dispose();

    public override string ToString() => $"{Name} ({DeviceName})";
}
