using System.CommandLine;

namespace DeepGpu.Cli;

/// <summary>A mistake in the command line found after parsing: printed as one sentence with a pointer to --help, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A deepgpu sub-command: its options and arguments are System.CommandLine symbols declared as fields, and
/// <see cref="Run"/> reads them from the parse. To add a command, derive from this and list it in
/// <see cref="CommandLine"/>.
/// </summary>
internal abstract class CliCommand(string name, string summary) : Command(name, summary)
{
    private readonly Dictionary<Argument, string> _whenMissing = [];

    /// <summary>Notes and examples printed after the options by --help.</summary>
    public virtual string? Details => null;

    /// <summary>Runs the command; returns the exit code (0 ok, 1 a failed run or check, 2 a user error).</summary>
    public abstract int Run(ParseResult parse, Terminal terminal);

    /// <summary>The one-line usage that a usage mistake points to.</summary>
    public string UsageLine()
    {
        var arguments = Arguments.Select(a => a.Arity.MaximumNumberOfValues > 1 ? a.Name + "..." : a.Name);
        return string.Join(' ', ["deepgpu", Name, .. arguments, "[options]"]);
    }

    /// <summary>What to tell a user who left out a required argument, in this command's words.</summary>
    public string? WhenMissing(Argument argument) => _whenMissing.GetValueOrDefault(argument);

    /// <summary>Adds a required argument with the sentence that says it is missing.</summary>
    protected Argument<T> Required<T>(Argument<T> argument, string whenMissing)
    {
        Arguments.Add(argument);
        _whenMissing[argument] = whenMissing;
        return argument;
    }

    /// <summary>Whether the user gave the option (not just its default).</summary>
    protected static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
