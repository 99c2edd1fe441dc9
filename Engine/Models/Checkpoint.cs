using System.Globalization;
using System.Text.Json;
using DeepGpu.Backends;
using DeepGpu.Optimizers;

namespace DeepGpu.Models;

/// <summary>
/// A training run saved after an epoch: the model file's contents plus the optimizer's state and step count,
/// so that a resumed run continues exactly as an uninterrupted one would on the same backend.
/// </summary>
public static class Checkpoint
{
    /// <summary>The file inside a checkpoint directory; replaced atomically after each epoch.</summary>
    public const string FileName = "checkpoint.safetensors";

    /// <summary>Saves the state after <paramref name="epoch"/> completed epochs.</summary>
    /// <param name="extra">More metadata to keep (the trainer's settings, say).</param>
    public static void Save(string directory, Model model, Optimizer optimizer, int epoch, IReadOnlyDictionary<string, string>? extra = null)
    {
        var metadata = model.Metadata();
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) metadata[k] = v;
        metadata["epoch"] = epoch.ToString(CultureInfo.InvariantCulture);
        metadata["optimizer"] = JsonSerializer.Serialize(new OptimizerRecord(optimizer.Name, optimizer.LearningRate, optimizer.Steps));
        var tensors = model.Tensors();
        for (var i = 0; i < optimizer.State.Count; i++)
        {
            var values = new float[optimizer.State[i].Length];
            model.Backend.Download<float>(optimizer.State[i], values);
            tensors.Add(new TensorFile.Tensor($"optimizer.{i}", [values.Length], values));
        }
        TensorFile.Write(Path.Combine(directory, FileName), metadata, tensors);
    }

    /// <summary>Loads a checkpoint: the model, its optimizer with restored state, and the epochs completed.</summary>
    public static (Model Model, Optimizer Optimizer, int Epoch, IReadOnlyDictionary<string, string> Metadata) Load(string directory, Backend backend)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new DeepGpuException($"No checkpoint to resume from: {path} does not exist.");
        var (metadata, tensors) = Model.ReadChecked(path);
        var record = JsonSerializer.Deserialize<OptimizerRecord>(metadata.GetValueOrDefault("optimizer") ?? "null")
            ?? throw new DeepGpuException($"{path} is a model file, not a checkpoint: it has no optimizer state.");
        if (!int.TryParse(metadata.GetValueOrDefault("epoch"), CultureInfo.InvariantCulture, out var epoch))
        {
            throw new DeepGpuException($"{path} is damaged: it does not say which epoch it holds.");
        }
        var model = Model.FromFile(path, metadata, tensors, backend);
        var optimizer = Optimizer.Create(record.Name, record.LearningRate);
        optimizer.Bind(backend, model.Network.ParameterCount);
        optimizer.RestoreSteps(record.Steps);
        for (var i = 0; i < optimizer.State.Count; i++)
        {
            if (!tensors.TryGetValue($"optimizer.{i}", out var t) || t.Data.Length != optimizer.State[i].Length)
            {
                throw new DeepGpuException($"{path} is damaged: optimizer state {i} is missing or has the wrong size.");
            }
            backend.Upload<float>(t.Data, optimizer.State[i]);
        }
        return (model, optimizer, epoch, metadata);
    }

    private sealed record OptimizerRecord(string Name, float LearningRate, long Steps);
}
