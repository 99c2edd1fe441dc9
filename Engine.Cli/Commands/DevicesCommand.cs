using DeepGpu.Backends;

namespace DeepGpu.Cli.Commands;

/// <summary>deepgpu devices: every device found, which one auto would use, and why any was rejected.</summary>
internal sealed class DevicesCommand : ICommand
{
    public string Name => "devices";
    public string Summary => "list the devices found and which one --backend auto would use";
    public string Usage => """
        usage: deepgpu devices

        """;

    public int Run(IReadOnlyList<string> args, Console2 console)
    {
        var a = new Arguments(args, new HashSet<string>(), new HashSet<string>());
        if (a.Positionals.Count > 0) throw new UsageException($"Unexpected argument '{a.Positionals[0]}'.");
        var reports = BackendFactory.Probe();
        console.Out.WriteLine($"{"backend",-10} {"device",-44} status");
        foreach (var r in reports)
        {
            console.Out.WriteLine($"{r.Backend,-10} {Truncate(r.Name, 44),-44} {(r.Accepted ? "usable" : "rejected: " + r.Reason)}");
        }
        var (picked, why) = BackendFactory.ChooseAuto();
        console.Out.WriteLine($"auto: {picked}, because {why}");
        return 0;
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
