using System.Buffers.Binary;
using System.Text;
using DeepGpu.Backends.Cpu;
using DeepGpu.Models;

namespace DeepGpu.Tests.Models;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepgpu-model").FullName;
    private readonly CpuBackend _backend = new();

    public void Dispose()
    {
        _backend.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static float[] Inputs(int count, int size)
    {
        var rng = new Random(4);
        return Enumerable.Range(0, count * size).Select(_ => (float)rng.NextDouble()).ToArray();
    }

    private string SavedModel(out float[] probabilities)
    {
        using var model = Model.Create(Networks.Mlp([16], batchNorm: true), _backend, 9);
        model.SetState(Enumerable.Range(0, model.Network.StateCount).Select(i => 0.1f * i + 0.5f).ToArray());
        probabilities = model.Predict(Inputs(3, 784));
        var path = Path.Combine(_dir, "m.safetensors");
        model.Save(path);
        return path;
    }

    [Fact]
    public void Save_then_load_gives_the_same_probabilities()
    {
        var path = SavedModel(out var before);
        using var loaded = Model.Load(path, _backend);
        Assert.Equal(before, loaded.Predict(Inputs(3, 784)));
        Assert.Equal("mlp", loaded.Spec.Name);
        Assert.Equal("7", loaded.LabelOf(7));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void The_file_is_safetensors_shaped()
    {
        var path = SavedModel(out _);
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.Contains("\"affine1.W\":{\"dtype\":\"F32\",\"shape\":[784,16]", header);
        Assert.Contains("\"formatVersion\":\"1\"", header);
        Assert.Contains("checksum", header);
    }

    [Fact]
    public void A_truncated_file_is_refused_with_one_sentence()
    {
        var path = SavedModel(out _);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<DeepGpuException>(() => Model.Load(path, _backend));
        Assert.Contains("m.safetensors", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_damaged_file_fails_its_checksum()
    {
        var path = SavedModel(out _);
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DeepGpuException>(() => Model.Load(path, _backend));
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void A_newer_format_version_is_refused()
    {
        var path = SavedModel(out _);
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.Replace("\"formatVersion\":\"1\"", "\"formatVersion\":\"7\"")));
        var e = Assert.Throws<DeepGpuException>(() => Model.Load(path, _backend));
        Assert.Contains("newer DeepGpu (format version 7)", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello, this is not a model")]
    public void Foreign_files_are_refused(string content)
    {
        var path = Path.Combine(_dir, "foreign.safetensors");
        File.WriteAllText(path, content);
        var e = Assert.Throws<DeepGpuException>(() => Model.Load(path, _backend));
        Assert.Contains("foreign.safetensors", e.Message);
    }

    [Fact]
    public void A_safetensors_file_from_another_tool_is_refused()
    {
        var header = Encoding.UTF8.GetBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var path = Path.Combine(_dir, "other.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DeepGpuException>(() => Model.Load(path, _backend));
        Assert.Contains("not a DeepGpu model file", e.Message);
    }

    [Fact]
    public void Saving_over_a_file_replaces_it_whole()
    {
        var path = SavedModel(out _);
        using var other = Model.Create(Networks.TwoLayer(), _backend, 2);
        other.Save(path);
        using var loaded = Model.Load(path, _backend);
        Assert.Equal("two-layer", loaded.Spec.Name);
    }
}
