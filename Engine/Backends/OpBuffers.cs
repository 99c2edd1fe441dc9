namespace DeepGpu.Backends;

// The buffers of the ops that take many: named members instead of long positional lists, so two swapped
// buffers do not compile silently. Value types, so passing them allocates nothing.

/// <summary>The buffers of a convolution's forward pass (see <see cref="ConvolutionGeometry"/> for their shapes).</summary>
public readonly record struct ConvolutionForwardBuffers
{
    /// <summary>Input [N, C, H, W].</summary>
    public required BufferView<float> X { get; init; }
    /// <summary>Filters [F, C, KH, KW].</summary>
    public required BufferView<float> W { get; init; }
    /// <summary>Bias [F].</summary>
    public required BufferView<float> B { get; init; }
    /// <summary>Output [N, F, OutH, OutW].</summary>
    public required BufferView<float> Y { get; init; }
    /// <summary>Scratch of <see cref="Backend.ConvolutionWorkspaceLength"/> floats.</summary>
    public required BufferView<float> Workspace { get; init; }
}

/// <summary>The buffers of a convolution's backward pass.</summary>
public readonly record struct ConvolutionBackwardBuffers
{
    /// <summary>The forward input [N, C, H, W].</summary>
    public required BufferView<float> X { get; init; }
    /// <summary>Filters [F, C, KH, KW].</summary>
    public required BufferView<float> W { get; init; }
    /// <summary>Gradient at the output [N, F, OutH, OutW].</summary>
    public required BufferView<float> DY { get; init; }
    /// <summary>Gradient at the input [N, C, H, W]; an empty view skips it (a first layer needs none).</summary>
    public required BufferView<float> DX { get; init; }
    /// <summary>Filter gradient [F, C, KH, KW] (overwritten).</summary>
    public required BufferView<float> DW { get; init; }
    /// <summary>Bias gradient [F] (overwritten).</summary>
    public required BufferView<float> DB { get; init; }
    /// <summary>Scratch of <see cref="Backend.ConvolutionWorkspaceLength"/> floats.</summary>
    public required BufferView<float> Workspace { get; init; }
}

/// <summary>The buffers of an affine layer's forward pass (see <see cref="AffineGeometry"/> for their shapes).</summary>
public readonly record struct AffineForwardBuffers
{
    /// <summary>Input [Rows, Inputs].</summary>
    public required BufferView<float> X { get; init; }
    /// <summary>Weights [Inputs, Outputs].</summary>
    public required BufferView<float> W { get; init; }
    /// <summary>Bias [Outputs].</summary>
    public required BufferView<float> B { get; init; }
    /// <summary>Output [Rows, Outputs], after the activation if there is one.</summary>
    public required BufferView<float> Y { get; init; }
}

/// <summary>The buffers of an affine layer's backward pass.</summary>
public readonly record struct AffineBackwardBuffers
{
    /// <summary>The forward input [Rows, Inputs].</summary>
    public required BufferView<float> X { get; init; }
    /// <summary>Weights [Inputs, Outputs].</summary>
    public required BufferView<float> W { get; init; }
    /// <summary>The forward output [Rows, Outputs] (read only with an activation, for its derivative).</summary>
    public BufferView<float> Y { get; init; }
    /// <summary>Gradient at the output [Rows, Outputs].</summary>
    public required BufferView<float> DY { get; init; }
    /// <summary>Gradient at the input [Rows, Inputs]; an empty view skips it (a first layer needs none).</summary>
    public required BufferView<float> DX { get; init; }
    /// <summary>Weight gradient [Inputs, Outputs] (overwritten).</summary>
    public required BufferView<float> DW { get; init; }
    /// <summary>Bias gradient [Outputs] (overwritten).</summary>
    public required BufferView<float> DB { get; init; }
}

/// <summary>The buffers of <see cref="Backend.SoftmaxLoss"/>: the matrices are [rows, cols], the labels [rows].</summary>
public readonly record struct SoftmaxLossBuffers
{
    public required BufferView<float> Logits { get; init; }
    /// <summary>Class indices in [0, cols).</summary>
    public required BufferView<int> Labels { get; init; }
    public required BufferView<float> Probabilities { get; init; }
    /// <summary>One float the batch's mean loss is added to.</summary>
    public required BufferView<float> LossSum { get; init; }
    /// <summary>One float the batch's correct count is added to.</summary>
    public required BufferView<float> CorrectCount { get; init; }
    /// <summary>The gradient at the logits; empty to skip it.</summary>
    public BufferView<float> DLogits { get; init; }
}

/// <summary>How a batch normalisation pass runs.</summary>
public readonly record struct BatchNormSettings
{
    /// <summary>True: batch statistics, saved for backward, and running statistics updated. False: running statistics used.</summary>
    public required bool Training { get; init; }
    /// <summary>running = Momentum·running + (1 − Momentum)·batch.</summary>
    public required float Momentum { get; init; }
    /// <summary>Added to the variance before the square root.</summary>
    public required float Epsilon { get; init; }
}

/// <summary>The buffers of batch normalisation's forward pass: X and Y [Length], the rest [Channels].</summary>
public readonly record struct BatchNormForwardBuffers
{
    public required BufferView<float> X { get; init; }
    public required BufferView<float> Gamma { get; init; }
    public required BufferView<float> Beta { get; init; }
    public required BufferView<float> Y { get; init; }
    public required BufferView<float> RunningMean { get; init; }
    public required BufferView<float> RunningVar { get; init; }
    /// <summary>The batch mean, written in training mode for backward.</summary>
    public required BufferView<float> SavedMean { get; init; }
    /// <summary>1/√(var + eps) of the batch, written in training mode for backward.</summary>
    public required BufferView<float> SavedInvStd { get; init; }
}

/// <summary>The buffers of batch normalisation's backward pass: X, DY and DX [Length], the rest [Channels].</summary>
public readonly record struct BatchNormBackwardBuffers
{
    public required BufferView<float> X { get; init; }
    public required BufferView<float> Gamma { get; init; }
    public required BufferView<float> DY { get; init; }
    public required BufferView<float> SavedMean { get; init; }
    public required BufferView<float> SavedInvStd { get; init; }
    public required BufferView<float> DX { get; init; }
    public required BufferView<float> DGamma { get; init; }
    public required BufferView<float> DBeta { get; init; }
}

/// <summary>The buffers of one optimizer step over the flat parameter buffer.</summary>
public readonly record struct UpdateBuffers
{
    public required BufferView<float> Parameters { get; init; }
    /// <summary>As long as <see cref="Parameters"/>.</summary>
    public required BufferView<float> Gradients { get; init; }
    /// <summary>Momentum's and Nesterov's velocity, AdaGrad's and RMSprop's h, Adam's m; empty for SGD.</summary>
    public BufferView<float> FirstState { get; init; }
    /// <summary>Adam's v; empty for the other rules.</summary>
    public BufferView<float> SecondState { get; init; }
    /// <summary>A training step's record: Adam reads t from it and the update ends its step (null: none).</summary>
    public StepRecord? Record { get; init; }
}

/// <summary>A batch gather from a dataset stored on the device as bytes (see <see cref="Backend.GatherBatch"/>).</summary>
public readonly record struct GatherBatchArgs
{
    /// <summary>Every sample's bytes, one after another.</summary>
    public required BufferView<byte> Images { get; init; }
    /// <summary>One class byte per sample.</summary>
    public required BufferView<byte> Labels { get; init; }
    /// <summary>Sample indices, in the order batches take them.</summary>
    public required BufferView<int> Order { get; init; }
    /// <summary>First position in <see cref="Order"/>.</summary>
    public required int Start { get; init; }
    /// <summary>Samples to gather.</summary>
    public required int Count { get; init; }
    /// <summary>Bytes per sample.</summary>
    public required int SampleLength { get; init; }
    /// <summary>Multiplies each byte (1/255 maps to [0, 1]).</summary>
    public required float Scale { get; init; }
    /// <summary>The batch [Count, SampleLength].</summary>
    public required BufferView<float> X { get; init; }
    /// <summary>The batch labels [Count].</summary>
    public required BufferView<int> Y { get; init; }
    /// <summary>A training step's record: the batch starts at its next start (Start is not read) and its next step begins (null: none).</summary>
    public StepRecord? Record { get; init; }
}
