namespace SharpInfer.Cli;

/// <summary>
/// Runs a command body the way every subcommand wants: a user-caused error prints one line to
/// stderr and exits 1; a stack trace only with <c>--verbose</c>.
/// </summary>
internal static class CommandGuard
{
    public static int Run(bool verbose, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (SharpInferException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
    }
}
