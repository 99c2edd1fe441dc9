using System.Globalization;
using System.Text.Json;
using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Training;

namespace DeepGpu.Models;

public sealed partial class Model
{
    /// <summary>The model file format this build writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private const string FormatName = "deepgpu-model";

    /// <summary>How inputs are normalised: bytes 0..255 (ink bright on dark, as MNIST) times this scale.</summary>
    public const float InputScale = 1f / 255f;

    /// <summary>Class labels, stored in model files ("0".."9" for digits).</summary>
    public IReadOnlyList<string> ClassLabels { get; set; } = [];

    /// <summary>The label of class i ("0".."9" unless the model says otherwise).</summary>
    public string LabelOf(int index) => index < ClassLabels.Count ? ClassLabels[index] : index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Saves the network spec, parameters, state, labels and history to one safetensors-style file, written to
    /// a temporary name and renamed.
    /// </summary>
    public void Save(string path) => TensorFile.Write(path, Metadata(), Tensors());

    /// <summary>
    /// Where the model came from, saved with it as the metadata entry "provenance" (a JSON object of strings): for
    /// the default model the recipe, the training data, its accuracy on the official test set and the date.
    /// </summary>
    public Dictionary<string, string> Provenance { get; } = [];

    internal Dictionary<string, string> Metadata()
    {
        var metadata = FormatMetadata();
        if (Provenance.Count > 0) metadata["provenance"] = JsonSerializer.Serialize(Provenance);
        return metadata;
    }

    private Dictionary<string, string> FormatMetadata() => new()
    {
        ["format"] = FormatName,
        ["formatVersion"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
        ["network"] = Spec.ToJson(),
        ["normalization"] = JsonSerializer.Serialize(new { scale = InputScale, offset = 0f, polarity = "ink bright on dark background", layout = "NCHW" }),
        ["labels"] = JsonSerializer.Serialize(Enumerable.Range(0, Network.Classes).Select(LabelOf)),
        ["history"] = JsonSerializer.Serialize(History),
    };

    internal List<TensorFile.Tensor> Tensors()
    {
        var p = GetParameters();
        var s = GetState();
        var list = Network.Parameters.Select(slot => new TensorFile.Tensor(slot.FullName, slot.Shape.ToArray(), p.AsSpan(slot.Offset, slot.Length).ToArray())).ToList();
        list.AddRange(Network.State.Select(slot => new TensorFile.Tensor("state." + slot.FullName, slot.Shape.ToArray(), s.AsSpan(slot.Offset, slot.Length).ToArray())));
        return list;
    }

    /// <summary>Loads a model file onto a backend; a damaged, truncated, foreign or newer file gets one clear sentence.</summary>
    public static Model Load(string path, Backend backend)
    {
        var (metadata, tensors) = ReadChecked(path);
        return FromFile(path, metadata, tensors, backend);
    }

    internal static (Dictionary<string, string> Metadata, Dictionary<string, TensorFile.Tensor> Tensors) ReadChecked(string path) =>
        Checked(Path.GetFileName(path), TensorFile.Read(path));

    private static (Dictionary<string, string> Metadata, Dictionary<string, TensorFile.Tensor> Tensors) Checked(string name,
        (Dictionary<string, string> Metadata, Dictionary<string, TensorFile.Tensor> Tensors) file)
    {
        var (metadata, tensors) = file;
        if (metadata.GetValueOrDefault("format") != FormatName)
        {
            throw new DeepGpuException($"{name} is not a DeepGpu model file: it has no DeepGpu metadata (a safetensors file from another tool?).");
        }
        if (!int.TryParse(metadata.GetValueOrDefault("formatVersion"), CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new DeepGpuException($"{name} is damaged: its format version is missing.");
        }
        if (version > FormatVersion)
        {
            throw new DeepGpuException($"{name} was written by a newer DeepGpu (format version {version}); this one reads up to version {FormatVersion}.");
        }
        // The checksum covers the tensors in the order the header lists them, as written.
        if (metadata.GetValueOrDefault("checksum") != TensorFile.Checksum(tensors.Values))
        {
            throw new DeepGpuException($"{name} is damaged: its data does not match the checksum in its header.");
        }
        return (metadata, tensors);
    }

    internal static Model FromFile(string path, Dictionary<string, string> metadata, Dictionary<string, TensorFile.Tensor> tensors, Backend backend)
    {
        var name = Path.GetFileName(path);
        var spec = NetworkSpec.FromJson(metadata.GetValueOrDefault("network") ?? throw new DeepGpuException($"{name} is damaged: it has no network spec."), name);
        var network = Network.Build(spec);
        var p = new float[network.ParameterCount];
        var s = new float[network.StateCount];
        Fill(network.Parameters, "", p);
        Fill(network.State, "state.", s);
        var model = FromValues(spec, backend, p, s);
        if (metadata.TryGetValue("labels", out var labels)) model.ClassLabels = JsonSerializer.Deserialize<string[]>(labels) ?? [];
        if (metadata.TryGetValue("history", out var history)) model.History.AddRange(JsonSerializer.Deserialize<List<EpochMetrics>>(history) ?? []);
        if (metadata.TryGetValue("provenance", out var provenance))
        {
            foreach (var (key, value) in ReadProvenance(name, provenance)) model.Provenance[key] = value;
        }
        return model;

        static Dictionary<string, string> ReadProvenance(string name, string json)
        {
            try
            {
                return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
            }
            catch (JsonException)
            {
                throw new DeepGpuException($"{name} is damaged: its provenance entry is not a JSON object of strings.");
            }
        }

        void Fill(IReadOnlyList<TensorSlot> slots, string prefix, float[] into)
        {
            foreach (var slot in slots)
            {
                if (!tensors.TryGetValue(prefix + slot.FullName, out var t)) throw new DeepGpuException($"{name} is damaged: tensor {prefix}{slot.FullName} is missing.");
                if (!t.Shape.SequenceEqual(slot.Shape.ToArray()))
                {
                    throw new DeepGpuException($"{name} is damaged: tensor {t.Name} has shape [{string.Join(", ", t.Shape)}] but the network needs {slot.Shape}.");
                }
                t.Data.CopyTo(into, slot.Offset);
            }
        }
    }
}
