using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using DeepGpu.Backends;
using DeepGpu.Cli.Commands;
using DeepGpu.Cli.Serve;
using DeepGpu.Training;

namespace DeepGpu.Cli;

/// <summary>
/// The deepgpu command on System.CommandLine: help, response files (@FILE), tab completion and did-you-mean come
/// from it; usage mistakes and errors are reported here. Exit codes: 0 ok, 1 a failed run or check, 2 a user
/// error, 130 cancelled.
/// </summary>
public static class CommandLine
{
    /// <summary>
    /// Every command, in the order --help lists them. A new command is a <see cref="CliCommand"/> in Commands/
    /// (its options as fields, its work in Run) added to this list; parsing, help and errors come with it.
    /// </summary>
    private static CliCommand[] CreateCommands() =>
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
        new TrainDefaultCommand(),
        new ServeCommand(),
    ];

    public static string Version => typeof(CommandLine).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <param name="cancel">Stops a training run as Ctrl-C does.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive = false, CancellationToken cancel = default)
    {
        var terminal = new Terminal(stdout, stderr, interactive, cancel);
        var root = CreateRoot(terminal);
        // The words `deepgpu help [COMMAND]` and `deepgpu version` work as the options do.
        if (args is ["help", .. var rest]) args = [.. rest, "--help"];
        if (args is ["version"]) args = ["--version"];
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction) return ReportUsageMistake(parse, stderr);
        var config = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // train handles Ctrl-C itself, to save what it can
        };
        var name = parse.CommandResult.Command is CliCommand c ? $"deepgpu {c.Name}" : "deepgpu";
        try
        {
            return parse.Invoke(config);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"{name}: {e.Message}");
            WritePointer(stderr, parse.CommandResult.Command);
            return 2;
        }
        catch (TrainingDivergedException e)
        {
            stderr.WriteLine($"{name}: {e.Message}");
            return 1;
        }
        catch (DeviceOutOfMemoryException e)
        {
            stderr.WriteLine($"{name}: {e.WithAdvice("try a smaller --batch")}");
            return 1;
        }
        catch (DeepGpuException e) when (e is not DeviceFailureException)
        {
            stderr.WriteLine($"{name}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (DeviceErrors.Describe(e) is { } sentence)
        {
            // The device or its driver failed (a launch, a copy, a kernel compile): not the user's input.
            stderr.WriteLine($"{name}: {sentence}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A path that cannot be written or read (a full disk, no permission): the system's sentence says why.
            stderr.WriteLine($"{name}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine($"{name}: cancelled.");
            return 130;
        }
    }

    private static RootCommand CreateRoot(Terminal terminal)
    {
        var root = new RootCommand("DeepGpu: train, check and use deep-learning networks on CUDA, OpenCL or the CPU (the book \"Deep Learning from Scratch\").")
        {
            HelpName = "deepgpu",
        };
        foreach (var command in CreateCommands())
        {
            command.SetAction(parse => command.Run(parse, terminal));
            root.Subcommands.Add(command);
        }
        var help = root.Options.OfType<HelpOption>().Single();
        var helpAction = new HelpWithDetails((HelpAction)help.Action!);
        help.Action = helpAction;
        var version = root.Options.OfType<VersionOption>().Single();
        version.Action = new PrintVersion();

        // No command at all: the list of commands, and the exit code of a usage mistake.
        root.SetAction(parse =>
        {
            helpAction.Invoke(parse);
            return 2;
        });
        return root;
    }

    /// <summary>
    /// One sentence saying what is wrong (with System.CommandLine's did-you-mean for a misspelt name), then the
    /// usage line and where to find the rest; never the whole help.
    /// </summary>
    private static int ReportUsageMistake(ParseResult parse, TextWriter stderr)
    {
        var command = parse.CommandResult.Command;
        var cli = command as CliCommand;
        var name = cli is null ? "deepgpu" : $"deepgpu {cli.Name}";
        string sentence;
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            sentence = token.StartsWith('-') ? $"Unknown option {token}." : cli is null ? $"unknown command '{token}'." : $"Unexpected argument '{token}'.";
            var suggestions = TypoCorrections(parse, token);
            if (suggestions.Count > 0) sentence += $" Did you mean {string.Join(" or ", suggestions)}?";
        }
        else
        {
            var error = parse.Errors[0];
            sentence = error.SymbolResult switch
            {
                ArgumentResult a when cli?.WhenMissing(a.Argument) is { } missing && a.Tokens.Count == 0 => missing,
                OptionResult o when o.Tokens.Count == 0 => $"Option {o.Option.Name} needs a value.",
                _ => error.Message,
            };
        }
        stderr.WriteLine($"{name}: {sentence}");
        WritePointer(stderr, command);
        return 2;
    }

    private static void WritePointer(TextWriter stderr, Command command)
    {
        if (command is CliCommand cli) stderr.WriteLine($"usage: {cli.UsageLine()}   ('deepgpu {cli.Name} --help' lists the options)");
        else stderr.WriteLine("usage: deepgpu <command> [options]   ('deepgpu --help' lists the commands)");
    }

    /// <summary>The names System.CommandLine suggests for a token it did not recognise (it prints them; we keep the lines).</summary>
    private static List<string> TypoCorrections(ParseResult parse, string token)
    {
        if (parse.Action is not ParseErrorAction action) return [];
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        var text = new StringWriter();
        parse.Invoke(new InvocationConfiguration { Output = text, Error = text, EnableDefaultExceptionHandler = false });
        var lines = text.ToString().Split('\n', StringSplitOptions.TrimEntries);
        var start = Array.FindIndex(lines, l => l.StartsWith($"'{token}' was not matched.", StringComparison.Ordinal));
        if (start < 0) return [];
        return lines.Skip(start + 1).TakeWhile(l => l.Length > 0 && !l.Contains(" was not matched.", StringComparison.Ordinal))
            .Where(l => l is not ("-h" or "-?" or "--help"))
            .ToList();
    }

    /// <summary>The built-in help, then the command's notes and examples.</summary>
    private sealed class HelpWithDetails(HelpAction builtIn) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            builtIn.Invoke(parse);
            if (parse.CommandResult.Command is CliCommand { Details: { } details }) parse.InvocationConfiguration.Output.Write(details);
            return 0;
        }
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            parse.InvocationConfiguration.Output.WriteLine($"deepgpu {Version}");
            return 0;
        }
    }
}
