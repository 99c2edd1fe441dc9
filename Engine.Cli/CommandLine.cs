using DeepGpu.Cli.Commands;
using DeepGpu.Training;

namespace DeepGpu.Cli;

/// <summary>Where a command writes: stdout for results, stderr for messages; interactive when a person watches.</summary>
internal sealed record Console2(TextWriter Out, TextWriter Err, bool Interactive);

/// <summary>A deepgpu sub-command.</summary>
internal interface ICommand
{
    string Name { get; }
    string Summary { get; }
    string Usage { get; }
    int Run(IReadOnlyList<string> args, Console2 console);
}

/// <summary>The deepgpu command: dispatch, usage and exit codes (0 ok, 1 failed run or check, 2 user error).</summary>
public static class CommandLine
{
    private static readonly ICommand[] Commands =
    [
        new TrainCommand(),
        new DevicesCommand(),
        new CheckCommand(),
        new BenchCommand(),
        new PredictCommand(),
        new ExportCommand(),
        new ExperimentCommand(),
        new TuneCommand(),
        new EvalCommand(),
        new FiltersCommand(),
    ];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive = false)
    {
        var console = new Console2(stdout, stderr, interactive);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.Write(MainUsage());
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version" or "version")
        {
            stdout.WriteLine($"deepgpu {typeof(CommandLine).Assembly.GetName().Version?.ToString(3)}");
            return 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            stderr.WriteLine($"deepgpu: unknown command '{args[0]}'.");
            stderr.Write(MainUsage());
            return 2;
        }
        if (args.Skip(1).Any(a => a is "-h" or "--help"))
        {
            stdout.Write(command.Usage);
            return 0;
        }
        try
        {
            return command.Run(args[1..], console);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"deepgpu {command.Name}: {e.Message}");
            stderr.Write(command.Usage);
            return 2;
        }
        catch (TrainingDivergedException e)
        {
            stderr.WriteLine($"deepgpu {command.Name}: {e.Message}");
            return 1;
        }
        catch (DeepGpuException e)
        {
            stderr.WriteLine($"deepgpu {command.Name}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A path that cannot be written or read (a full disk, no permission): the system's sentence says why.
            stderr.WriteLine($"deepgpu {command.Name}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine($"deepgpu {command.Name}: cancelled.");
            return 130;
        }
    }

    private static string MainUsage()
    {
        var lines = new List<string> { "usage: deepgpu <command> [options]   (deepgpu <command> --help for its options)", "", "commands:" };
        lines.AddRange(Commands.Select(c => $"  {c.Name,-10} {c.Summary}"));
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}
