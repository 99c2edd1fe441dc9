using System.CommandLine;
using System.Text.Json;
using DeepGpu.Diagnostics;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu check: every op on a backend against the scalar reference and by numerical gradient.</summary>
internal sealed class CheckCommand : CliCommand
{
    private readonly Option<string> _backend = CliOptions.Backend();
    private readonly Option<bool> _json = CliOptions.Flag("--json", "one JSON object per check");

    public CheckCommand() : base("check", "check every op on a backend against the scalar reference and numerical gradients")
    {
        Options.Add(_backend);
        Options.Add(_json);
    }

    public override string Details => """
        Prints a table; exits 1 if any check fails.

        """;

    public override int Run(ParseResult parse, Terminal terminal)
    {
        var json = parse.GetValue(_json);
        using var backend = BackendChoice.Create(parse.GetValue(_backend)!, terminal.Err);
        terminal.Err.WriteLine($"checking {backend}");
        if (!json) terminal.Out.WriteLine($"{"group",-14} {"op",-44} {"case",-34} {"max error",10} {"ms",8}  result");
        int passed = 0, failed = 0;
        foreach (var r in SelfCheck.Run(backend))
        {
            if (r.Passed) passed++; else failed++;
            if (json)
            {
                terminal.Out.WriteLine(JsonSerializer.Serialize(r, CliJson.Options));
                continue;
            }
            var error = r.Group == "gradient" ? $"{r.Error:0} bad" : r.Error.ToString("0.0e+0");
            terminal.Out.WriteLine($"{r.Group,-14} {r.Op,-44} {r.Case,-34} {error,10} {r.Milliseconds,8:F1}  {(r.Passed ? "ok" : "FAIL")}{(r.Message is null ? "" : "  " + r.Message)}");
        }
        var summary = $"{backend.Name}: {passed} passed, {failed} failed";
        if (json) terminal.Err.WriteLine(summary); else terminal.Out.WriteLine(summary);
        return failed == 0 ? 0 : 1;
    }
}
