using System.CommandLine;
using DeepGpu.Backends.Cpu;
using DeepGpu.Models;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu export: writes a saved model in another format (ONNX) for other runtimes.</summary>
internal sealed class ExportCommand : CliCommand
{
    private readonly Argument<string> _model;
    private readonly Option<string?> _onnx = CliOptions.Path("--onnx", "FILE",
        "write an ONNX graph (opset 13): input \"input\" [N, C, H, W] with pixels in [0, 1], output \"probabilities\" [N, classes]");

    public ExportCommand() : base("export", "export a saved model to ONNX")
    {
        _model = Required(new Argument<string>("MODEL") { Description = "a model file saved by DeepGpu" }, "Name the model file to export.");
        Options.Add(_onnx);
    }

    public override string Details => """
        example:
          deepgpu export digits.safetensors --onnx digits.onnx

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var output = parse.GetValue(_onnx) ?? throw new UsageException("Say where to write the ONNX file with --onnx FILE.");
        if (string.IsNullOrWhiteSpace(output)) throw new UsageException("--onnx needs a file name.");

        // Export reads parameters only: the CPU backend is always there and needs no device.
        using var backend = new CpuBackend();
        using var model = Model.Load(parse.GetValue(_model)!, backend);
        OnnxExporter.Export(model, output);
        var input = string.Join(", ", model.Network.InputShape.ToArray());
        terminal.Out.WriteLine($"wrote {output}: ONNX opset {OnnxExporter.Opset}, input \"{OnnxExporter.InputName}\" [N, {input}], output \"{OnnxExporter.OutputName}\" [N, {model.Network.Classes}]");
        return 0;
    }
}
