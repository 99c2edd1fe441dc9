using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepGpu.Data;
using DeepGpu.Models;
using DeepGpu.Reporting;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu eval: scores a saved model on the test (or validation) set, as text, JSON or a web page.</summary>
internal sealed class EvalCommand : CliCommand
{
    private readonly Argument<string> _model;
    private readonly Option<string?> _data = CliOptions.Data();
    private readonly Option<string> _backend = CliOptions.Backend();
    private readonly Option<int> _batch = CliOptions.PositiveInt("--batch", 500, "images per prediction batch");
    private readonly Option<string?> _report = CliOptions.Path("--report", "DIR",
        "also write DIR/index.html with training curves, the confusion matrix and the misclassified digits");
    private readonly Option<bool> _half = CliOptions.Flag("--half",
        "run with weights and activations rounded to 16-bit floats (book ch.8) and report the accuracy difference from full precision");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "print one JSON object: accuracy, loss, perClass, confusion");

    public EvalCommand() : base("eval", "score a model: accuracy, per-class precision/recall, confusion matrix, HTML report")
    {
        _model = Required(new Argument<string>("MODEL") { Description = "a model file saved by DeepGpu" }, "Give the model file to evaluate.");
        foreach (var option in new Option[] { _data, _backend, _batch, _report, _half, _json }) Options.Add(option);
    }

    public override string Details => """
        The model is scored on the test set, or on the validation images held out of the training files when
        there is no test set (as train does).
        examples:
          deepgpu eval model.safetensors
          deepgpu eval model.safetensors --data ~/mnist --report report/   (then open report/index.html)

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var json = parse.GetValue(_json);
        var info = json ? terminal.Err : terminal.Out;
        var batch = parse.GetValue(_batch);
        var backendName = parse.GetValue(_backend)!;
        var reportDir = parse.GetValue(_report);
        if (reportDir is not null && File.Exists(reportDir)) throw new UsageException($"--report {reportDir} is a file; give a folder for the report.");
        var modelPath = parse.GetValue(_model)!;
        if (!File.Exists(modelPath)) throw new DeepGpuException(Directory.Exists(modelPath) ? $"{modelPath} is a folder, not a model file." : $"{modelPath} does not exist.");

        var data = Mnist.Load(new MnistOptions { DataDir = parse.GetValue(_data) });
        info.WriteLine($"data: {data.Description}");
        using var backend = BackendChoice.Create(backendName, info);
        using var model = Model.Load(modelPath, backend);
        var set = data.TestIsHeldOut ? "validation" : "test";
        var evaluation = Evaluation.Run(model, data.Test, batch);
        double? fullAccuracy = null;
        if (parse.GetValue(_half))
        {
            fullAccuracy = evaluation.Accuracy;
            model.HalfPrecision = true;
            evaluation = Evaluation.Run(model, data.Test, batch);
            info.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"half precision: {set} accuracy {evaluation.Accuracy:P2} against {fullAccuracy:P2} in full precision ({(evaluation.Accuracy - fullAccuracy.Value) * 100:+0.00;-0.00;0.00} points)"));
        }

        if (reportDir is not null)
        {
            var index = EvaluationReport.Write(reportDir, evaluation, data.Test, model.History,
                new ReportInfo(Path.GetFileName(modelPath), data.Description, set));
            info.WriteLine($"report: {index}");
        }
        if (json)
        {
            terminal.Out.WriteLine(JsonSerializer.Serialize(new
            {
                model = modelPath,
                set,
                count = evaluation.Count,
                accuracy = evaluation.Accuracy,
                halfPrecision = fullAccuracy is not null,
                fullPrecisionAccuracy = fullAccuracy,
                loss = evaluation.Loss,
                misclassified = evaluation.Misclassified.Count,
                perClass = evaluation.PerClass.Select(c => new { label = c.Label, precision = c.Precision, recall = c.Recall, support = c.Support }),
                confusion = Enumerable.Range(0, evaluation.Classes).Select(t => Enumerable.Range(0, evaluation.Classes).Select(p => evaluation.Confusion[t, p]).ToArray()).ToArray(),
            }, CliJson.Options));
        }
        else
        {
            terminal.Out.Write(Text(evaluation, set));
        }
        return 0;
    }

    /// <summary>The evaluation as a person reads it in a terminal.</summary>
    internal static string Text(Evaluation e, string set)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{set} accuracy {e.Accuracy:P2} ({e.Count - e.Misclassified.Count} of {e.Count}), loss {e.Loss:F4}");
        sb.AppendLine();
        var w = Math.Max(5, e.Labels.Max(l => l.Length));
        sb.AppendLine(inv, $"{"class".PadLeft(w)}  {"samples",8}  {"precision",9}  {"recall",7}");
        foreach (var c in e.PerClass)
        {
            sb.AppendLine(inv, $"{c.Label.PadLeft(w)}  {c.Support,8}  {c.Precision,9:P1}  {c.Recall,7:P1}");
        }
        sb.AppendLine();
        sb.AppendLine("confusion matrix (rows: true class, columns: predicted)");
        var max = 0;
        foreach (var v in e.Confusion) max = Math.Max(max, v);
        var cw = Math.Max(Math.Max(4, max.ToString(inv).Length + 1), e.Labels.Max(l => l.Length) + 1);
        sb.Append(' ', w);
        foreach (var l in e.Labels) sb.Append(l.PadLeft(cw));
        sb.AppendLine();
        for (var t = 0; t < e.Classes; t++)
        {
            sb.Append(e.Labels[t].PadLeft(w));
            for (var p = 0; p < e.Classes; p++) sb.Append((e.Confusion[t, p] == 0 && t != p ? "." : e.Confusion[t, p].ToString(inv)).PadLeft(cw));
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
