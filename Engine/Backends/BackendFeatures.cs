namespace DeepGpu.Backends;

// Application features that run on the device but are not part of the op contract every backend must
// implement: a backend offers them through a capability interface, and callers go through the extension
// methods below, which check the arguments once (as Backend does for its ops) before the backend runs.

/// <summary>Optional backend capability: <see cref="BackendFeatures.Augment"/> on the device.</summary>
public interface IImageAugmentation
{
    /// <summary>Called by <see cref="BackendFeatures.Augment"/> with checked arguments only.</summary>
    void AugmentCore(BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, StepCounter counter);
}

/// <summary>Optional backend capability: <see cref="BackendFeatures.RoundToHalf"/> on the device.</summary>
public interface IHalfPrecisionRounding
{
    /// <summary>Called by <see cref="BackendFeatures.RoundToHalf"/> with checked arguments only.</summary>
    void RoundToHalfCore(BufferView<float> x);
}

/// <summary>The device-side features a backend may offer beyond its ops.</summary>
public static class BackendFeatures
{
    /// <summary>True when the backend can augment images on its device.</summary>
    public static bool CanAugment(this Backend backend) => backend is IImageAugmentation;

    /// <summary>True when the backend can round to half precision on its device.</summary>
    public static bool CanRoundToHalf(this Backend backend) => backend is IHalfPrecisionRounding;

    /// <summary>
    /// Writes a randomly shifted, rotated and scaled copy of each image of x [N, C, H, W] into y (same shape),
    /// the transform of image n drawn from <see cref="DeepGpu.Kernels.CounterRng"/> with (seed, counter·N + n); the counter may depend on a step record's running step.
    /// </summary>
    /// <exception cref="DeepGpuException">The backend cannot augment on its device.</exception>
    public static void Augment(this Backend backend, BufferView<float> x, BufferView<float> y, int batch, int channels, int height, int width,
        AugmentOptions options, ulong seed, StepCounter counter)
    {
        const string op = nameof(Augment);
        if (backend is not IImageAugmentation augmentation) throw new DeepGpuException($"The {backend.Name} backend cannot augment images on its device.");
        OpCheck.NotNegative(op, nameof(batch), batch);
        OpCheck.NotNegative(op, nameof(channels), channels);
        OpCheck.NotNegative(op, nameof(height), height);
        OpCheck.NotNegative(op, nameof(width), width);
        var length = (long)batch * channels * height * width;
        OpCheck.AtLeast(backend, op, nameof(x), x, length);
        OpCheck.AtLeast(backend, op, nameof(y), y, length);
        if (counter.Record is { } record) OpCheck.Owned(backend, op, nameof(counter.Record), record.Buffer.View);
        augmentation.AugmentCore(x, y, batch, channels, height, width, options, seed, counter);
    }

    /// <summary>x[i] = (float)(Half)x[i]: rounds to the nearest 16-bit float (half-precision inference).</summary>
    /// <exception cref="DeepGpuException">The backend cannot round to half precision on its device.</exception>
    public static void RoundToHalf(this Backend backend, BufferView<float> x)
    {
        if (backend is not IHalfPrecisionRounding rounding) throw new DeepGpuException($"The {backend.Name} backend cannot round to half precision on its device.");
        OpCheck.Owned(backend, nameof(RoundToHalf), nameof(x), x);
        rounding.RoundToHalfCore(x);
    }
}
