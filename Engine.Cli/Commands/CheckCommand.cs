using System.Text.Json;
using DeepGpu.Diagnostics;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu check: every op on a backend against the scalar reference and by numerical gradient.</summary>
internal sealed class CheckCommand : ICommand
{
    public string Name => "check";
    public string Summary => "check every op on a backend against the scalar reference and numerical gradients";
    public string Usage => """
        usage: deepgpu check [--backend B] [--json]
          --backend B   auto (default), cuda, opencl, ilgpu-cpu, cpu
          --json        one JSON object per check
        prints a table; exits 1 if any check fails

        """;

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, new HashSet<string> { "backend" }, new HashSet<string> { "json" });
        if (a.Positionals.Count > 0) throw new UsageException($"Unexpected argument '{a.Positionals[0]}'.");
        var json = a.Flag("json");
        using var backend = TrainCommand.CreateBackend(a.Choice("backend", "auto", TrainCommand.BackendNames), console.Err);
        console.Err.WriteLine($"checking {backend}");
        if (!json) console.Out.WriteLine($"{"group",-14} {"op",-44} {"case",-34} {"max error",10} {"ms",8}  result");
        int passed = 0, failed = 0;
        foreach (var r in SelfCheck.Run(backend))
        {
            if (r.Passed) passed++; else failed++;
            if (json)
            {
                console.Out.WriteLine(JsonSerializer.Serialize(r, CliJson.Options));
                continue;
            }
            var error = r.Group == "gradient" ? $"{r.Error:0} bad" : r.Error.ToString("0.0e+0");
            console.Out.WriteLine($"{r.Group,-14} {r.Op,-44} {r.Case,-34} {error,10} {r.Milliseconds,8:F1}  {(r.Passed ? "ok" : "FAIL")}{(r.Message is null ? "" : "  " + r.Message)}");
        }
        var summary = $"{backend.Name}: {passed} passed, {failed} failed";
        if (json) console.Err.WriteLine(summary); else console.Out.WriteLine(summary);
        return failed == 0 ? 0 : 1;
    }
}
