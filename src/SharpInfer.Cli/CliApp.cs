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
        var parse = root.Parse(args);
        return parse.Invoke();
    }
}
