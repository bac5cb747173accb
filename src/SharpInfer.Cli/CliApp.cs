using System.CommandLine;

namespace SharpInfer.Cli;

/// <summary>The <c>sharpinfer</c> command: one subcommand per job, llama.cpp's flag spellings.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("SharpInfer: run GGUF language models in pure C#.");
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
            var help = parse.CommandResult.Command.Name;
            Console.Error.WriteLine($"error: {parse.Errors[0].Message} (see 'sharpinfer {help} --help')");
            return 1;
        }
        return parse.Invoke();
    }
}
