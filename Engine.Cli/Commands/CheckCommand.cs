using System.CommandLine;
using System.Text.Json;
using DeepGpu.Backends.Cpu;
using DeepGpu.Diagnostics;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu check: every op on a backend against the scalar reference and by numerical gradient.</summary>
internal sealed class CheckCommand : CliCommand
{
    private readonly Option<string> _backend = CliOptions.Backend();
    private readonly Option<bool> _json = CliOptions.Flag("--json", "one JSON object per check");
    private readonly Option<bool> _realSizes = CliOptions.Flag("--real-sizes",
        "also compare with the cpu backend at the presets' batch-100 sizes: every op, one training step of each preset, 50 steps of simple-convnet");

    public CheckCommand() : base("check", "check every op on a backend against the scalar reference and numerical gradients")
    {
        Options.Add(_backend);
        Options.Add(_json);
        Options.Add(_realSizes);
    }

    public override string Details => """
        Prints a table; exits 1 if any check fails. --real-sizes takes seconds on a GPU or cpu and far longer
        on ilgpu-cpu (a simulator).

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var json = parse.GetValue(_json);
        using var backend = BackendChoice.Create(parse.GetValue(_backend)!, terminal.Err);
        terminal.Err.WriteLine($"checking {backend}");
        if (!json) terminal.Out.WriteLine($"{"group",-14} {"op",-44} {"case",-34} {"max error",10} {"ms",8}  result");
        int passed = 0, failed = 0;
        using var reference = parse.GetValue(_realSizes) ? new CpuBackend() : null;
        var checks = reference is null ? SelfCheck.Run(backend) : SelfCheck.Run(backend).Concat(RealSizeCheck.Run(backend, reference));
        foreach (var r in checks)
        {
            if (r.Passed) passed++; else failed++;
            if (json)
            {
                terminal.Out.WriteLine(JsonSerializer.Serialize(r, CliJson.Options));
                continue;
            }
            var error = r.Group == "gradient" ? $"{r.Error:0} bad" : r.Error.ToString("0.0e+0");
            if (r.Group.StartsWith("real-size", StringComparison.Ordinal)) error += $" / {r.Tolerance:0.0e+0}";
            terminal.Out.WriteLine($"{r.Group,-14} {r.Op,-44} {r.Case,-34} {error,10} {r.Milliseconds,8:F1}  {(r.Passed ? "ok" : "FAIL")}{(r.Message is null ? "" : "  " + r.Message)}");
        }
        var summary = $"{backend.Name}: {passed} passed, {failed} failed";
        if (json) terminal.Err.WriteLine(summary); else terminal.Out.WriteLine(summary);
        return failed == 0 ? 0 : 1;
    }
}
