using DeepGpu.Backends.Cpu;
using DeepGpu.Models;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu export: writes a saved model in another format (ONNX) for other runtimes.</summary>
internal sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Summary => "export a saved model to ONNX";
    public string Usage => """
        usage: deepgpu export MODEL --onnx OUT.onnx
          MODEL           a model file saved by DeepGpu
          --onnx FILE     write an ONNX graph (opset 13): input "input" [N, C, H, W] with pixels in [0, 1],
                          output "probabilities" [N, classes]
        example:
          deepgpu export digits.safetensors --onnx digits.onnx

        """;

    private static readonly HashSet<string> ValueOptions = ["onnx"];
    private static readonly HashSet<string> FlagOptions = [];

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, ValueOptions, FlagOptions);
        if (a.Positionals.Count == 0) throw new UsageException("Name the model file to export.");
        if (a.Positionals.Count > 1) throw new UsageException($"Unexpected argument '{a.Positionals[1]}'.");
        var output = a.Value("onnx") ?? throw new UsageException("Say where to write the ONNX file with --onnx FILE.");
        if (string.IsNullOrWhiteSpace(output)) throw new UsageException("--onnx needs a file name.");

        // Export reads parameters only: the CPU backend is always there and needs no device.
        using var backend = new CpuBackend();
        using var model = Model.Load(a.Positionals[0], backend);
        OnnxExporter.Export(model, output);
        var input = string.Join(", ", model.Network.InputShape.ToArray());
        console.Out.WriteLine($"wrote {output}: ONNX opset {OnnxExporter.Opset}, input \"{OnnxExporter.InputName}\" [N, {input}], output \"{OnnxExporter.OutputName}\" [N, {model.Network.Classes}]");
        return 0;
    }
}
