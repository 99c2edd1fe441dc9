using DeepGpu.Backends;
using DeepGpu.Backends.Cpu;

namespace DeepGpu.Models;

public sealed partial class Model
{
    /// <summary>The embedded resource that holds the default model (made by <see cref="DefaultRecipe"/>).</summary>
    internal const string DefaultResourceName = "DeepGpu.Models.Default.default.safetensors";

    /// <summary>The name the default model goes by in messages.</summary>
    public const string DefaultModelName = "the default model";

    /// <summary>
    /// The model that ships inside the library: a digit reader trained by <see cref="DefaultRecipe"/> on the embedded
    /// MNIST sample, made robust to digits drawn in paint programs. Its <see cref="Provenance"/> says how it was
    /// made and how well it reads the official test set.
    /// </summary>
    public static Model LoadDefault(Backend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var assembly = typeof(Model).Assembly;
        using var stream = assembly.GetManifestResourceStream(DefaultResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {DefaultResourceName} is missing from {assembly.GetName().Name}; the build is broken.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        var (metadata, tensors) = Checked(DefaultModelName, TensorFile.Parse(bytes, DefaultModelName));
        return FromFile(DefaultModelName, metadata, tensors, backend);
    }

    /// <summary>The default model (<see cref="LoadDefault(Backend)"/>) on the managed CPU backend, which the model then owns.</summary>
    public static Model LoadDefault()
    {
        var backend = new CpuBackend();
        try
        {
            var model = LoadDefault(backend);
            model._ownedBackend = backend;
            return model;
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }
}
