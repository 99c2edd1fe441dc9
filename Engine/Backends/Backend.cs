namespace DeepGpu.Backends;

/// <summary>
/// Owns device memory and runs ops. Layers, the plan and the trainer talk to a backend only through this
/// contract, so every backend runs every network. Layout is row-major; images are NCHW.
/// </summary>
/// <remarks>
/// Ops are queued in order on one stream and may run asynchronously; only <see cref="Download{T}"/> and
/// <see cref="Synchronize"/> wait. Unless an op says it accumulates (+=), it overwrites its outputs.
/// Outputs never alias inputs unless the op says so. Every op must handle every size, including 1.
/// <para>
/// The public ops check their arguments here, once, for every backend: sizes are not negative, every view
/// belongs to this backend, element-wise ops get views of one length, and shaped ops get views at least as
/// long as their shape needs (they read and write only that prefix). A call that fails fails with the same
/// <see cref="ArgumentException"/> and sentence on every backend; the protected <c>...Core</c> methods that
/// backends implement run only on checked arguments, so they never read out of bounds because of a bad call.
/// </para>
/// </remarks>
public abstract class Backend : IDisposable
{
    /// <summary>Short backend name as the CLI spells it: cpu, ilgpu-cpu, cuda or opencl.</summary>
    public abstract string Name { get; }

    /// <summary>The device this backend runs on, in words (for logs and benchmark tables).</summary>
    public abstract string DeviceName { get; }

    // ---- memory -------------------------------------------------------------------------------------

    private long _liveBytes;
    private int _liveBuffers;
    private long _launches;
    private long _synchronizations;
    private long _allocations;

    /// <summary>
    /// What this backend has done since it was made: kernel launches (backends that launch kernels count them;
    /// see <see cref="CountsLaunches"/>), host synchronisations and buffer allocations. Two readings around a
    /// training step give what one step costs.
    /// </summary>
    public BackendCounters Counters => new(Interlocked.Read(ref _launches), Interlocked.Read(ref _synchronizations), Interlocked.Read(ref _allocations));

    /// <summary>True when ops run as counted kernel launches (ILGPU); the cpu backend runs ops as calls and counts none.</summary>
    public virtual bool CountsLaunches => false;

    /// <summary>Counts one kernel launch (backends that launch kernels call this once per launch).</summary>
    protected void CountLaunch() => Interlocked.Increment(ref _launches);

    /// <summary>Counts the kernels of a replayed recording (they run as launches on the device).</summary>
    protected void CountLaunches(long count) => Interlocked.Add(ref _launches, count);

    /// <summary>Whether training steps here run as recorded graphs, and if not, why not.</summary>
    public virtual StepGraphSupport StepGraphs => new(false, $"the {Name} backend runs ops as calls, not kernel launches");

    /// <summary>
    /// Records the launches <paramref name="queue"/> makes (they do not run) as one graph to replay, or returns null
    /// with the <paramref name="reason"/> when this backend cannot (see <see cref="StepGraphs"/>) or recording failed;
    /// then nothing of <paramref name="queue"/> ran, and the caller queues it plainly.
    /// </summary>
    public virtual RecordedStep? TryRecord(Action queue, out string reason)
    {
        reason = StepGraphs.Reason;
        return null;
    }

    /// <summary>Allocates a zero-filled buffer of <paramref name="length"/> elements.</summary>
    /// <exception cref="DeviceOutOfMemoryException">The device (or <see cref="MemoryLimit"/>) has no room for it.</exception>
    public DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged
    {
        OpCheck.NotNegative(nameof(Allocate), nameof(length), length);
        var bytes = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var live = Interlocked.Add(ref _liveBytes, bytes);
        if (live > MemoryLimit)
        {
            Interlocked.Add(ref _liveBytes, -bytes);
            throw new DeviceOutOfMemoryException(DeviceName, bytes, Math.Max(0, MemoryLimit.Value - (live - bytes)));
        }
        try
        {
            var buffer = AllocateCore<T>(length);
            Interlocked.Increment(ref _liveBuffers);
            Interlocked.Increment(ref _allocations);
            return buffer;
        }
        catch
        {
            Interlocked.Add(ref _liveBytes, -bytes);
            throw;
        }
    }

    /// <summary>Bytes in buffers allocated and not yet disposed.</summary>
    public long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>Buffers allocated and not yet disposed.</summary>
    public int LiveBuffers => Volatile.Read(ref _liveBuffers);

    /// <summary>
    /// At most this many bytes in live buffers (null: as many as the device holds); an allocation past it fails
    /// as if the device were full. For sharing a device, and for testing what happens when memory runs out.
    /// </summary>
    public long? MemoryLimit { get; set; }

    internal void Released(long bytes)
    {
        Interlocked.Add(ref _liveBytes, -bytes);
        Interlocked.Decrement(ref _liveBuffers);
    }

    /// <summary>Copies host data into a view of the same length (a host synchronisation: the copy is done when it returns).</summary>
    public void Upload<T>(ReadOnlySpan<T> source, BufferView<T> destination) where T : unmanaged
    {
        OpCheck.Length(this, nameof(Upload), nameof(destination), destination, source.Length);
        Interlocked.Increment(ref _synchronizations);
        UploadCore(source, destination);
    }

    /// <summary>Waits for queued work, then copies a view to the host.</summary>
    public void Download<T>(BufferView<T> source, Span<T> destination) where T : unmanaged
    {
        OpCheck.Length(this, nameof(Download), nameof(source), source, destination.Length);
        Interlocked.Increment(ref _synchronizations);
        DownloadCore(source, destination);
    }

    /// <summary>Waits until all queued work is done.</summary>
    public void Synchronize()
    {
        Interlocked.Increment(ref _synchronizations);
        SynchronizeCore();
    }

    /// <summary>x[i] = value.</summary>
    public void Fill(BufferView<float> x, float value)
    {
        OpCheck.Owned(this, nameof(Fill), nameof(x), x);
        FillCore(x, value);
    }

    /// <summary>destination[i] = source[i], both of one length.</summary>
    public void Copy(BufferView<float> source, BufferView<float> destination)
    {
        OpCheck.Owned(this, nameof(Copy), nameof(source), source);
        OpCheck.SameLength(this, nameof(Copy), nameof(destination), destination, nameof(source), source.Length);
        CopyCore(source, destination);
    }

    /// <summary>y[i] += alpha·x[i] (used for weight decay: grad += λ·W).</summary>
    public void AddScaled(BufferView<float> x, float alpha, BufferView<float> y)
    {
        OpCheck.Owned(this, nameof(AddScaled), nameof(x), x);
        OpCheck.SameLength(this, nameof(AddScaled), nameof(y), y, nameof(x), x.Length);
        AddScaledCore(x, alpha, y);
    }

    /// <summary>accumulator[0] += scale·Σ x[i]² (the weight-decay term of the loss).</summary>
    public void SumOfSquares(BufferView<float> x, float scale, BufferView<float> accumulator)
    {
        OpCheck.Owned(this, nameof(SumOfSquares), nameof(x), x);
        OpCheck.AtLeast(this, nameof(SumOfSquares), nameof(accumulator), accumulator, 1);
        SumOfSquaresCore(x, scale, accumulator);
    }

    /// <summary>y[i] = x[i]·mask[i] (dropout backward, and forward with a given mask).</summary>
    public void Multiply(BufferView<float> x, BufferView<float> mask, BufferView<float> y)
    {
        OpCheck.Owned(this, nameof(Multiply), nameof(x), x);
        OpCheck.SameLength(this, nameof(Multiply), nameof(mask), mask, nameof(x), x.Length);
        OpCheck.SameLength(this, nameof(Multiply), nameof(y), y, nameof(x), x.Length);
        MultiplyCore(x, mask, y);
    }

    // ---- dense layers -------------------------------------------------------------------------------

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C with C [m, n]; op(A) is [m, k] (A stored [k, m] when transposed), op(B)
    /// is [k, n] (B stored [n, k] when transposed). beta = 0 ignores C's old contents, NaN included.
    /// </summary>
    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c)
    {
        OpCheck.NotNegative(nameof(Gemm), nameof(m), m);
        OpCheck.NotNegative(nameof(Gemm), nameof(n), n);
        OpCheck.NotNegative(nameof(Gemm), nameof(k), k);
        OpCheck.AtLeast(this, nameof(Gemm), nameof(a), a, (long)m * k);
        OpCheck.AtLeast(this, nameof(Gemm), nameof(b), b, (long)k * n);
        OpCheck.AtLeast(this, nameof(Gemm), nameof(c), c, (long)m * n);
        GemmCore(transposeA, transposeB, m, n, k, alpha, a, b, beta, c);
    }

    /// <summary>
    /// An affine layer and the activation after it (none when <paramref name="activation"/> is null) as one op:
    /// Y = f(X·W + B) for X [rows, inputs], W [inputs, outputs], B [outputs], Y [rows, outputs]. A backend can add
    /// the bias and apply the activation as it writes the product.
    /// </summary>
    public void AffineForward(AffineGeometry g, Activation? activation, in AffineForwardBuffers buffers)
    {
        CheckAffine(nameof(AffineForward), g, activation);
        OpCheck.AtLeast(this, nameof(AffineForward), nameof(buffers.X), buffers.X, (long)g.Rows * g.Inputs);
        OpCheck.AtLeast(this, nameof(AffineForward), nameof(buffers.W), buffers.W, (long)g.Inputs * g.Outputs);
        OpCheck.AtLeast(this, nameof(AffineForward), nameof(buffers.B), buffers.B, g.Outputs);
        OpCheck.AtLeast(this, nameof(AffineForward), nameof(buffers.Y), buffers.Y, (long)g.Rows * g.Outputs);
        AffineForwardCore(g, activation, buffers);
    }

    /// <summary>
    /// Backward of <see cref="AffineForward"/>: with DZ = DY·f'(Y) (DY itself without an activation), DW = Xᵀ·DZ,
    /// DB = Σ_r DZ and, unless DX is empty, DX = DZ·Wᵀ. Backends may overwrite DY with DZ.
    /// </summary>
    public void AffineBackward(AffineGeometry g, Activation? activation, in AffineBackwardBuffers buffers)
    {
        CheckAffine(nameof(AffineBackward), g, activation);
        OpCheck.AtLeast(this, nameof(AffineBackward), nameof(buffers.X), buffers.X, (long)g.Rows * g.Inputs);
        OpCheck.AtLeast(this, nameof(AffineBackward), nameof(buffers.W), buffers.W, (long)g.Inputs * g.Outputs);
        if (activation is not null) OpCheck.AtLeast(this, nameof(AffineBackward), nameof(buffers.Y), buffers.Y, (long)g.Rows * g.Outputs);
        OpCheck.AtLeast(this, nameof(AffineBackward), nameof(buffers.DY), buffers.DY, (long)g.Rows * g.Outputs);
        if (buffers.DX.Length != 0) OpCheck.AtLeast(this, nameof(AffineBackward), nameof(buffers.DX), buffers.DX, (long)g.Rows * g.Inputs);
        OpCheck.AtLeast(this, nameof(AffineBackward), nameof(buffers.DW), buffers.DW, (long)g.Inputs * g.Outputs);
        OpCheck.AtLeast(this, nameof(AffineBackward), nameof(buffers.DB), buffers.DB, g.Outputs);
        AffineBackwardCore(g, activation, buffers);
    }

    private static void CheckAffine(string op, AffineGeometry g, Activation? activation)
    {
        OpCheck.NotNegative(op, nameof(g.Rows), g.Rows);
        OpCheck.NotNegative(op, nameof(g.Inputs), g.Inputs);
        OpCheck.NotNegative(op, nameof(g.Outputs), g.Outputs);
        if (activation is { } kind) OpCheck.Defined(op, nameof(activation), kind);
    }

    /// <summary>x[r, c] += bias[c] for x [rows, cols].</summary>
    public void AddBias(BufferView<float> x, BufferView<float> bias, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(AddBias), nameof(x), x, rows, cols);
        OpCheck.AtLeast(this, nameof(AddBias), nameof(bias), bias, cols);
        AddBiasCore(x, bias, rows, cols);
    }

    /// <summary>db[c] = Σ_r dy[r, c] for dy [rows, cols].</summary>
    public void BiasGradient(BufferView<float> dy, BufferView<float> db, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(BiasGradient), nameof(dy), dy, rows, cols);
        OpCheck.AtLeast(this, nameof(BiasGradient), nameof(db), db, cols);
        BiasGradientCore(dy, db, rows, cols);
    }

    /// <summary>y = f(x) element-wise. y may be x.</summary>
    public void ActivationForward(Activation kind, BufferView<float> x, BufferView<float> y)
    {
        OpCheck.Defined(nameof(ActivationForward), nameof(kind), kind);
        OpCheck.Owned(this, nameof(ActivationForward), nameof(x), x);
        OpCheck.SameLength(this, nameof(ActivationForward), nameof(y), y, nameof(x), x.Length);
        ActivationForwardCore(kind, x, y);
    }

    /// <summary>dx = dy·f'(x), with f' written through the forward output y. dx may be dy.</summary>
    public void ActivationBackward(Activation kind, BufferView<float> y, BufferView<float> dy, BufferView<float> dx)
    {
        OpCheck.Defined(nameof(ActivationBackward), nameof(kind), kind);
        OpCheck.Owned(this, nameof(ActivationBackward), nameof(y), y);
        OpCheck.SameLength(this, nameof(ActivationBackward), nameof(dy), dy, nameof(y), y.Length);
        OpCheck.SameLength(this, nameof(ActivationBackward), nameof(dx), dx, nameof(y), y.Length);
        ActivationBackwardCore(kind, y, dy, dx);
    }

    // ---- softmax and losses ---------------------------------------------------------------------------

    /// <summary>Row-wise softmax of x [rows, cols], subtracting the row maximum first.</summary>
    public void Softmax(BufferView<float> x, BufferView<float> y, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(Softmax), nameof(x), x, rows, cols);
        OpCheck.AtLeast(this, nameof(Softmax), nameof(y), y, (long)rows * cols);
        SoftmaxCore(x, y, rows, cols);
    }

    /// <summary>
    /// probabilities = softmax(logits); lossSum[0] += Σ_r −log(p[r, label_r] + 1e-7) / rows (the book's
    /// cross_entropy_error, mean over the batch). Labels must lie in [0, cols); the caller checks the data.
    /// </summary>
    public void SoftmaxCrossEntropy(BufferView<float> logits, BufferView<int> labels,
        BufferView<float> probabilities, BufferView<float> lossSum, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(SoftmaxCrossEntropy), nameof(logits), logits, rows, cols);
        OpCheck.AtLeast(this, nameof(SoftmaxCrossEntropy), nameof(labels), labels, rows);
        OpCheck.AtLeast(this, nameof(SoftmaxCrossEntropy), nameof(probabilities), probabilities, (long)rows * cols);
        OpCheck.AtLeast(this, nameof(SoftmaxCrossEntropy), nameof(lossSum), lossSum, 1);
        SoftmaxCrossEntropyCore(logits, labels, probabilities, lossSum, rows, cols);
    }

    /// <summary>dlogits = (probabilities − onehot(labels)) / rows.</summary>
    public void SoftmaxCrossEntropyBackward(BufferView<float> probabilities, BufferView<int> labels,
        BufferView<float> dlogits, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(SoftmaxCrossEntropyBackward), nameof(probabilities), probabilities, rows, cols);
        OpCheck.AtLeast(this, nameof(SoftmaxCrossEntropyBackward), nameof(labels), labels, rows);
        OpCheck.AtLeast(this, nameof(SoftmaxCrossEntropyBackward), nameof(dlogits), dlogits, (long)rows * cols);
        SoftmaxCrossEntropyBackwardCore(probabilities, labels, dlogits, rows, cols);
    }

    /// <summary>
    /// A softmax loss layer's work in one op: probabilities = softmax(logits); lossSum[0] += the batch's mean
    /// cross-entropy (as <see cref="SoftmaxCrossEntropy"/>); correctCount[0] += the rows whose arg-max probability
    /// (first on ties) is the label (as <see cref="CountCorrect"/>); and, unless DLogits is empty, dlogits =
    /// (probabilities − onehot(labels)) / rows (as <see cref="SoftmaxCrossEntropyBackward"/>).
    /// </summary>
    public void SoftmaxLoss(in SoftmaxLossBuffers buffers, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(SoftmaxLoss), nameof(buffers.Logits), buffers.Logits, rows, cols);
        OpCheck.AtLeast(this, nameof(SoftmaxLoss), nameof(buffers.Labels), buffers.Labels, rows);
        OpCheck.AtLeast(this, nameof(SoftmaxLoss), nameof(buffers.Probabilities), buffers.Probabilities, (long)rows * cols);
        OpCheck.AtLeast(this, nameof(SoftmaxLoss), nameof(buffers.LossSum), buffers.LossSum, 1);
        OpCheck.AtLeast(this, nameof(SoftmaxLoss), nameof(buffers.CorrectCount), buffers.CorrectCount, 1);
        if (buffers.DLogits.Length != 0) OpCheck.AtLeast(this, nameof(SoftmaxLoss), nameof(buffers.DLogits), buffers.DLogits, (long)rows * cols);
        SoftmaxLossCore(buffers, rows, cols);
    }

    /// <summary>lossSum[0] += 0.5·Σ(y − t)² / rows (the book's sum_squared_error, mean over the batch).</summary>
    public void SumSquaredError(BufferView<float> y, BufferView<float> t, BufferView<float> lossSum, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(SumSquaredError), nameof(y), y, rows, cols);
        OpCheck.AtLeast(this, nameof(SumSquaredError), nameof(t), t, (long)rows * cols);
        OpCheck.AtLeast(this, nameof(SumSquaredError), nameof(lossSum), lossSum, 1);
        SumSquaredErrorCore(y, t, lossSum, rows, cols);
    }

    /// <summary>dy = (y − t) / rows.</summary>
    public void SumSquaredErrorBackward(BufferView<float> y, BufferView<float> t, BufferView<float> dy, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(SumSquaredErrorBackward), nameof(y), y, rows, cols);
        OpCheck.AtLeast(this, nameof(SumSquaredErrorBackward), nameof(t), t, (long)rows * cols);
        OpCheck.AtLeast(this, nameof(SumSquaredErrorBackward), nameof(dy), dy, (long)rows * cols);
        SumSquaredErrorBackwardCore(y, t, dy, rows, cols);
    }

    /// <summary>t[r, c] = 1 where c = labels[r], else 0.</summary>
    public void OneHot(BufferView<int> labels, BufferView<float> t, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(OneHot), nameof(t), t, rows, cols);
        OpCheck.AtLeast(this, nameof(OneHot), nameof(labels), labels, rows);
        OneHotCore(labels, t, rows, cols);
    }

    /// <summary>counter[0] += the number of rows whose arg-max (first on ties) equals the label.</summary>
    public void CountCorrect(BufferView<float> scores, BufferView<int> labels, BufferView<float> counter, int rows, int cols)
    {
        OpCheck.Matrix(this, nameof(CountCorrect), nameof(scores), scores, rows, cols);
        OpCheck.AtLeast(this, nameof(CountCorrect), nameof(labels), labels, rows);
        OpCheck.AtLeast(this, nameof(CountCorrect), nameof(counter), counter, 1);
        CountCorrectCore(scores, labels, counter, rows, cols);
    }

    // ---- data ---------------------------------------------------------------------------------------

    /// <summary>
    /// Gathers a batch from a dataset stored on the device as bytes: for i in [0, Count),
    /// s = Order[Start + i]: X[i, j] = Images[s·SampleLength + j]·Scale and Y[i] = Labels[s]. With a
    /// <see cref="GatherBatchArgs.Record"/>, Start is the record's next start and the gather begins the record's next step.
    /// </summary>
    public void GatherBatch(in GatherBatchArgs args)
    {
        OpCheck.NotNegative(nameof(GatherBatch), nameof(args.Start), args.Start);
        OpCheck.NotNegative(nameof(GatherBatch), nameof(args.Count), args.Count);
        OpCheck.NotNegative(nameof(GatherBatch), nameof(args.SampleLength), args.SampleLength);
        OpCheck.Owned(this, nameof(GatherBatch), nameof(args.Images), args.Images);
        OpCheck.Owned(this, nameof(GatherBatch), nameof(args.Labels), args.Labels);
        OpCheck.AtLeast(this, nameof(GatherBatch), nameof(args.Order), args.Order, (long)args.Start + args.Count);
        if (args.Record is { } record)
        {
            OpCheck.Owned(this, nameof(GatherBatch), nameof(args.Record), record.Buffer.View);
            if (record.Batch != args.Count) throw new ArgumentException($"{nameof(GatherBatch)}: the step record is for batches of {record.Batch}, not {args.Count}.");
            OpCheck.AtLeast(this, nameof(GatherBatch), nameof(args.Order), args.Order, record.Count);
        }
        OpCheck.AtLeast(this, nameof(GatherBatch), nameof(args.X), args.X, (long)args.Count * args.SampleLength);
        OpCheck.AtLeast(this, nameof(GatherBatch), nameof(args.Y), args.Y, args.Count);
        GatherBatchCore(args);
    }

    // ---- optimizers ---------------------------------------------------------------------------------

    /// <summary>
    /// One optimizer step over the flat parameter buffer with its gradients and the rule's state buffers
    /// (see <see cref="UpdateBuffers"/>; state a rule does not use may be empty). With a
    /// <see cref="UpdateBuffers.Record"/>, Adam's step size is the hyper-parameters' rate bias-corrected on the device
    /// with the record's t (<see cref="DeepGpu.Kernels.StepRecordKernels.AdamRate"/>), and the update ends the record's step.
    /// </summary>
    public void ApplyUpdate(UpdateRule rule, UpdateHyper hyper, in UpdateBuffers buffers)
    {
        OpCheck.Defined(nameof(ApplyUpdate), nameof(rule), rule);
        var n = buffers.Parameters.Length;
        OpCheck.Owned(this, nameof(ApplyUpdate), nameof(buffers.Parameters), buffers.Parameters);
        OpCheck.SameLength(this, nameof(ApplyUpdate), nameof(buffers.Gradients), buffers.Gradients, nameof(buffers.Parameters), n);
        if (rule != UpdateRule.Sgd) OpCheck.AtLeast(this, nameof(ApplyUpdate), nameof(buffers.FirstState), buffers.FirstState, n);
        if (rule == UpdateRule.Adam) OpCheck.AtLeast(this, nameof(ApplyUpdate), nameof(buffers.SecondState), buffers.SecondState, n);
        if (buffers.Record is { } record) OpCheck.Owned(this, nameof(ApplyUpdate), nameof(buffers.Record), record.Buffer.View);
        ApplyUpdateCore(rule, hyper, buffers);
    }

    // ---- convolutional layers -----------------------------------------------------------------------

    /// <summary>Floats of scratch memory the convolution ops need for this geometry (0 if none).</summary>
    public long ConvolutionWorkspaceLength(ConvolutionGeometry g)
    {
        OpCheck.Geometry(nameof(ConvolutionWorkspaceLength), g);
        return ConvolutionWorkspaceLengthCore(g);
    }

    /// <summary>Y = conv(X, W) + B.</summary>
    public void ConvolutionForward(ConvolutionGeometry g, in ConvolutionForwardBuffers buffers)
    {
        CheckConvolutionForward(nameof(ConvolutionForward), g, buffers);
        ConvolutionForwardCore(g, buffers);
    }

    /// <summary>DW, DB and (when DX is not empty) DX of a convolution, given DY.</summary>
    public void ConvolutionBackward(ConvolutionGeometry g, in ConvolutionBackwardBuffers buffers)
    {
        CheckConvolutionBackward(nameof(ConvolutionBackward), g, buffers);
        ConvolutionBackwardCore(g, buffers);
    }

    /// <summary>
    /// Y = max(0, conv(X, W) + B): a convolution and the ReLU after it in one op, so a backend can apply the
    /// ReLU while its outputs are still in cache.
    /// </summary>
    public void ConvolutionReluForward(ConvolutionGeometry g, in ConvolutionForwardBuffers buffers)
    {
        CheckConvolutionForward(nameof(ConvolutionReluForward), g, buffers);
        ConvolutionReluForwardCore(g, buffers);
    }

    /// <summary>
    /// Backward of <see cref="ConvolutionReluForward"/>: DY is the gradient at the ReLU's output
    /// <paramref name="y"/>. Backends may overwrite DY with the gradient at the convolution's output.
    /// </summary>
    public void ConvolutionReluBackward(ConvolutionGeometry g, in ConvolutionBackwardBuffers buffers, BufferView<float> y)
    {
        CheckConvolutionBackward(nameof(ConvolutionReluBackward), g, buffers);
        OpCheck.AtLeast(this, nameof(ConvolutionReluBackward), nameof(y), y, g.OutputLength);
        ConvolutionReluBackwardCore(g, buffers, y);
    }

    private void CheckConvolutionForward(string op, ConvolutionGeometry g, in ConvolutionForwardBuffers b)
    {
        OpCheck.Geometry(op, g);
        OpCheck.AtLeast(this, op, nameof(b.X), b.X, g.InputLength);
        OpCheck.AtLeast(this, op, nameof(b.W), b.W, g.WeightLength);
        OpCheck.AtLeast(this, op, nameof(b.B), b.B, g.Filters);
        OpCheck.AtLeast(this, op, nameof(b.Y), b.Y, g.OutputLength);
        OpCheck.AtLeast(this, op, nameof(b.Workspace), b.Workspace, ConvolutionWorkspaceLengthCore(g));
    }

    private void CheckConvolutionBackward(string op, ConvolutionGeometry g, in ConvolutionBackwardBuffers b)
    {
        OpCheck.Geometry(op, g);
        OpCheck.AtLeast(this, op, nameof(b.X), b.X, g.InputLength);
        OpCheck.AtLeast(this, op, nameof(b.W), b.W, g.WeightLength);
        OpCheck.AtLeast(this, op, nameof(b.DY), b.DY, g.OutputLength);
        if (b.DX.Length != 0) OpCheck.AtLeast(this, op, nameof(b.DX), b.DX, g.InputLength);
        OpCheck.AtLeast(this, op, nameof(b.DW), b.DW, g.WeightLength);
        OpCheck.AtLeast(this, op, nameof(b.DB), b.DB, g.Filters);
        OpCheck.AtLeast(this, op, nameof(b.Workspace), b.Workspace, ConvolutionWorkspaceLengthCore(g));
    }

    /// <summary>y = pool(x). For max pooling, argmax[o] is the flat index into x of each output's winner.</summary>
    public void PoolingForward(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax)
    {
        CheckPooling(nameof(PoolingForward), mode, g, (nameof(x), x), (nameof(y), y), argmax);
        PoolingForwardCore(mode, g, x, y, argmax);
    }

    /// <summary>dx from dy (dx is overwritten; overlapping windows add up).</summary>
    public void PoolingBackward(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx)
    {
        CheckPooling(nameof(PoolingBackward), mode, g, (nameof(dx), dx), (nameof(dy), dy), argmax);
        PoolingBackwardCore(mode, g, dy, argmax, dx);
    }

    /// <summary>Both pooling ops' checks: one buffer the size of the input, one the size of the output, and argmax for max pooling.</summary>
    private void CheckPooling(string op, PoolingMode mode, PoolingGeometry g, (string Name, BufferView<float> View) inputSized,
        (string Name, BufferView<float> View) outputSized, BufferView<int> argmax)
    {
        OpCheck.Defined(op, nameof(mode), mode);
        OpCheck.Geometry(op, g);
        OpCheck.AtLeast(this, op, inputSized.Name, inputSized.View, g.InputLength);
        OpCheck.AtLeast(this, op, outputSized.Name, outputSized.View, g.OutputLength);
        if (mode == PoolingMode.Max) OpCheck.AtLeast(this, op, nameof(argmax), argmax, g.OutputLength);
    }

    // ---- normalisation and dropout ------------------------------------------------------------------

    /// <summary>
    /// Training mode: normalises X with the batch's mean and biased variance per channel, Y = γ·x̂ + β, saves the
    /// mean and 1/√(var + eps) for backward, and updates running = momentum·running + (1 − momentum)·batch.
    /// Inference mode: uses the running statistics and leaves them and the saved ones alone.
    /// </summary>
    public void BatchNormForward(NormalizationGeometry g, BatchNormSettings settings, in BatchNormForwardBuffers buffers)
    {
        const string op = nameof(BatchNormForward);
        OpCheck.Geometry(op, g);
        OpCheck.AtLeast(this, op, nameof(buffers.X), buffers.X, g.Length);
        OpCheck.AtLeast(this, op, nameof(buffers.Y), buffers.Y, g.Length);
        OpCheck.AtLeast(this, op, nameof(buffers.Gamma), buffers.Gamma, g.Channels);
        OpCheck.AtLeast(this, op, nameof(buffers.Beta), buffers.Beta, g.Channels);
        OpCheck.AtLeast(this, op, nameof(buffers.RunningMean), buffers.RunningMean, g.Channels);
        OpCheck.AtLeast(this, op, nameof(buffers.RunningVar), buffers.RunningVar, g.Channels);
        if (settings.Training)
        {
            OpCheck.AtLeast(this, op, nameof(buffers.SavedMean), buffers.SavedMean, g.Channels);
            OpCheck.AtLeast(this, op, nameof(buffers.SavedInvStd), buffers.SavedInvStd, g.Channels);
        }
        BatchNormForwardCore(g, settings, buffers);
    }

    /// <summary>DX, dγ and dβ of training-mode batch normalisation.</summary>
    public void BatchNormBackward(NormalizationGeometry g, in BatchNormBackwardBuffers buffers)
    {
        const string op = nameof(BatchNormBackward);
        OpCheck.Geometry(op, g);
        OpCheck.AtLeast(this, op, nameof(buffers.X), buffers.X, g.Length);
        OpCheck.AtLeast(this, op, nameof(buffers.DY), buffers.DY, g.Length);
        OpCheck.AtLeast(this, op, nameof(buffers.DX), buffers.DX, g.Length);
        OpCheck.AtLeast(this, op, nameof(buffers.Gamma), buffers.Gamma, g.Channels);
        OpCheck.AtLeast(this, op, nameof(buffers.SavedMean), buffers.SavedMean, g.Channels);
        OpCheck.AtLeast(this, op, nameof(buffers.SavedInvStd), buffers.SavedInvStd, g.Channels);
        OpCheck.AtLeast(this, op, nameof(buffers.DGamma), buffers.DGamma, g.Channels);
        OpCheck.AtLeast(this, op, nameof(buffers.DBeta), buffers.DBeta, g.Channels);
        BatchNormBackwardCore(g, buffers);
    }

    /// <summary>
    /// Inverted dropout: mask[i] = 1/(1 − ratio) where u ≥ ratio else 0, u = CounterRng.Uniform(seed, counter + i);
    /// y = x·mask. The ratio lies in [0, 1). The counter may depend on a step record's running step.
    /// </summary>
    public void DropoutForward(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, StepCounter counter)
    {
        if (counter.Record is { } record) OpCheck.Owned(this, nameof(DropoutForward), nameof(counter.Record), record.Buffer.View);
        OpCheck.Owned(this, nameof(DropoutForward), nameof(x), x);
        OpCheck.SameLength(this, nameof(DropoutForward), nameof(y), y, nameof(x), x.Length);
        OpCheck.SameLength(this, nameof(DropoutForward), nameof(mask), mask, nameof(x), x.Length);
        OpCheck.Ratio(nameof(DropoutForward), nameof(ratio), ratio);
        DropoutForwardCore(x, y, mask, ratio, seed, counter);
    }

    public abstract void Dispose();

    public override string ToString() => $"{Name} ({DeviceName})";

    // ---- what a backend implements: called only with checked arguments ------------------------------

    protected abstract DeviceBuffer<T> AllocateCore<T>(int length) where T : unmanaged;
    protected abstract void SynchronizeCore();
    protected abstract void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination) where T : unmanaged;
    protected abstract void DownloadCore<T>(BufferView<T> source, Span<T> destination) where T : unmanaged;
    protected abstract void FillCore(BufferView<float> x, float value);
    protected abstract void CopyCore(BufferView<float> source, BufferView<float> destination);
    protected abstract void AddScaledCore(BufferView<float> x, float alpha, BufferView<float> y);
    protected abstract void SumOfSquaresCore(BufferView<float> x, float scale, BufferView<float> accumulator);
    protected abstract void MultiplyCore(BufferView<float> x, BufferView<float> mask, BufferView<float> y);

    protected abstract void GemmCore(bool transposeA, bool transposeB, int m, int n, int k,
        float alpha, BufferView<float> a, BufferView<float> b, float beta, BufferView<float> c);
    /// <summary>This default runs the GEMM, adds the bias, then applies the activation in place.</summary>
    protected virtual void AffineForwardCore(AffineGeometry g, Activation? activation, in AffineForwardBuffers b)
    {
        GemmCore(false, false, g.Rows, g.Outputs, g.Inputs, 1f, b.X, b.W, 0f, b.Y);
        AddBiasCore(b.Y, b.B, g.Rows, g.Outputs);
        if (activation is { } kind)
        {
            var y = b.Y.Slice(0, g.Rows * g.Outputs);
            ActivationForwardCore(kind, y, y);
        }
    }

    /// <summary>This default overwrites DY with DZ, then runs the two GEMMs and the bias gradient.</summary>
    protected virtual void AffineBackwardCore(AffineGeometry g, Activation? activation, in AffineBackwardBuffers b)
    {
        var dz = b.DY.Slice(0, g.Rows * g.Outputs);
        if (activation is { } kind) ActivationBackwardCore(kind, b.Y.Slice(0, dz.Length), dz, dz);
        GemmCore(true, false, g.Inputs, g.Outputs, g.Rows, 1f, b.X, dz, 0f, b.DW);
        BiasGradientCore(dz, b.DB, g.Rows, g.Outputs);
        if (b.DX.Length != 0) GemmCore(false, true, g.Rows, g.Inputs, g.Outputs, 1f, dz, b.W, 0f, b.DX);
    }

    protected abstract void AddBiasCore(BufferView<float> x, BufferView<float> bias, int rows, int cols);
    protected abstract void BiasGradientCore(BufferView<float> dy, BufferView<float> db, int rows, int cols);
    protected abstract void ActivationForwardCore(Activation kind, BufferView<float> x, BufferView<float> y);
    protected abstract void ActivationBackwardCore(Activation kind, BufferView<float> y, BufferView<float> dy, BufferView<float> dx);

    protected abstract void SoftmaxCore(BufferView<float> x, BufferView<float> y, int rows, int cols);
    protected abstract void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels,
        BufferView<float> probabilities, BufferView<float> lossSum, int rows, int cols);
    protected abstract void SoftmaxCrossEntropyBackwardCore(BufferView<float> probabilities, BufferView<int> labels,
        BufferView<float> dlogits, int rows, int cols);
    /// <summary>This default runs the three ops it stands for, one after another.</summary>
    protected virtual void SoftmaxLossCore(in SoftmaxLossBuffers buffers, int rows, int cols)
    {
        SoftmaxCrossEntropyCore(buffers.Logits, buffers.Labels, buffers.Probabilities, buffers.LossSum, rows, cols);
        CountCorrectCore(buffers.Probabilities, buffers.Labels, buffers.CorrectCount, rows, cols);
        if (buffers.DLogits.Length != 0) SoftmaxCrossEntropyBackwardCore(buffers.Probabilities, buffers.Labels, buffers.DLogits, rows, cols);
    }

    protected abstract void SumSquaredErrorCore(BufferView<float> y, BufferView<float> t, BufferView<float> lossSum, int rows, int cols);
    protected abstract void SumSquaredErrorBackwardCore(BufferView<float> y, BufferView<float> t, BufferView<float> dy, int rows, int cols);
    protected abstract void OneHotCore(BufferView<int> labels, BufferView<float> t, int rows, int cols);
    protected abstract void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, BufferView<float> counter, int rows, int cols);

    protected abstract void GatherBatchCore(in GatherBatchArgs args);

    protected abstract void ApplyUpdateCore(UpdateRule rule, UpdateHyper hyper, in UpdateBuffers buffers);

    protected abstract long ConvolutionWorkspaceLengthCore(ConvolutionGeometry g);
    protected abstract void ConvolutionForwardCore(ConvolutionGeometry g, in ConvolutionForwardBuffers buffers);
    protected abstract void ConvolutionBackwardCore(ConvolutionGeometry g, in ConvolutionBackwardBuffers buffers);

    /// <summary>This default runs the convolution, then the ReLU in place.</summary>
    protected virtual void ConvolutionReluForwardCore(ConvolutionGeometry g, in ConvolutionForwardBuffers buffers)
    {
        ConvolutionForwardCore(g, buffers);
        ActivationForwardCore(Activation.Relu, buffers.Y, buffers.Y);
    }

    /// <summary>This default overwrites DY with the gradient at the convolution's output, then runs its backward.</summary>
    protected virtual void ConvolutionReluBackwardCore(ConvolutionGeometry g, in ConvolutionBackwardBuffers buffers, BufferView<float> y)
    {
        var dy = buffers.DY.Slice(0, g.OutputLength);
        ActivationBackwardCore(Activation.Relu, y.Slice(0, g.OutputLength), dy, dy);
        ConvolutionBackwardCore(g, buffers);
    }

    protected abstract void PoolingForwardCore(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax);
    protected abstract void PoolingBackwardCore(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx);

    protected abstract void BatchNormForwardCore(NormalizationGeometry g, BatchNormSettings settings, in BatchNormForwardBuffers buffers);
    protected abstract void BatchNormBackwardCore(NormalizationGeometry g, in BatchNormBackwardBuffers buffers);
    protected abstract void DropoutForwardCore(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, StepCounter counter);
}
