using System.CommandLine;
using System.CommandLine.Help;

namespace SharpInfer.Cli;

/// <summary>The <c>sharpinfer</c> command: one subcommand per job, llama.cpp's flag spellings.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        // A named root (RootCommand would take the assembly's name, SharpInfer.Cli) with the usual help and version.
        var root = new Command("sharpinfer", "SharpInfer: run GGUF language models in pure C#.") { new HelpOption(), new VersionOption() };
        root.Subcommands.Add(Commands.InspectCommand.Create());
        root.Subcommands.Add(Commands.QuantizeCommand.Create());
        root.Subcommands.Add(Commands.RunCommand.Create());
        root.Subcommands.Add(Commands.TokenizeCommand.Create());
        root.Subcommands.Add(Commands.LogitsCommand.Create());
        root.Subcommands.Add(Commands.BenchCommand.Create());
        root.Subcommands.Add(Commands.PlanCommand.Create());
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line per problem, as llama.cpp does, instead of the parser's full help text.
            var command = parse.CommandResult.Command;
            var help = command == root ? "sharpinfer --help" : $"sharpinfer {command.Name} --help";
            // An unknown word explains a missing subcommand better than "required command was not provided".
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            Console.Error.WriteLine($"error: {error.Message} (see '{help}')");
            return 1;
        }
        return parse.Invoke();
    }
}
