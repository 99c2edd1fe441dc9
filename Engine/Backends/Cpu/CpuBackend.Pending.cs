namespace DeepGpu.Backends.Cpu;

// Ops of the convolutional chapters, not yet on this backend.
public sealed partial class CpuBackend
{
    private static NotImplementedException Pending(string op) => new($"{op} is not implemented on the cpu backend yet.");

    public override void Augment(BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, ulong counter) => throw Pending(nameof(Augment));

    public override long ConvolutionWorkspaceLength(ConvolutionGeometry g) => 0;

    public override void ConvolutionForward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> b,
        BufferView<float> y, BufferView<float> workspace) => throw Pending(nameof(ConvolutionForward));

    public override void ConvolutionBackward(ConvolutionGeometry g, BufferView<float> x, BufferView<float> w, BufferView<float> dy,
        BufferView<float> dx, BufferView<float> dw, BufferView<float> db, BufferView<float> workspace) => throw Pending(nameof(ConvolutionBackward));

    public override void PoolingForward(PoolingMode mode, PoolingGeometry g, BufferView<float> x, BufferView<float> y, BufferView<int> argmax) =>
        throw Pending(nameof(PoolingForward));

    public override void PoolingBackward(PoolingMode mode, PoolingGeometry g, BufferView<float> dy, BufferView<int> argmax, BufferView<float> dx) =>
        throw Pending(nameof(PoolingBackward));

    public override void BatchNormForward(NormalizationGeometry g, bool training, float momentum, float epsilon, BufferView<float> x,
        BufferView<float> gamma, BufferView<float> beta, BufferView<float> y, BufferView<float> runningMean, BufferView<float> runningVar,
        BufferView<float> savedMean, BufferView<float> savedInvStd) => throw Pending(nameof(BatchNormForward));

    public override void BatchNormBackward(NormalizationGeometry g, BufferView<float> x, BufferView<float> gamma, BufferView<float> dy,
        BufferView<float> savedMean, BufferView<float> savedInvStd, BufferView<float> dx, BufferView<float> dgamma, BufferView<float> dbeta) =>
        throw Pending(nameof(BatchNormBackward));

    public override void DropoutForward(BufferView<float> x, BufferView<float> y, BufferView<float> mask, float ratio, ulong seed, ulong counter) =>
        throw Pending(nameof(DropoutForward));

    public override void RoundToHalf(BufferView<float> x) => throw Pending(nameof(RoundToHalf));
}
