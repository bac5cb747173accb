using System.Diagnostics;

namespace SharpInfer.Tests.Support;

/// <summary>Runs the real command line (SharpInfer.Cli.dll next to the tests) as a child process.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>SharpInfer.Cli.dll, built next to the test assembly.</summary>
    public static string CliDll
    {
        get
        {
            var dll = Path.Combine(Path.GetDirectoryName(typeof(CliRunner).Assembly.Location)!, "SharpInfer.Cli.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"the command line was not built next to the tests: {dll}");
        }
    }

    /// <summary>
    /// The dotnet host running the tests (the runner may be a carried runtime, with no dotnet on PATH),
    /// else "dotnet".
    /// </summary>
    public static string DotnetHost =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public static Result Run(params string[] args)
    {
        var psi = StartInfo(args);
        psi.RedirectStandardInput = true;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"sharpinfer {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
