namespace SharpInfer;

/// <summary>
/// An error a user can cause (a file, a flag, a request). Its message is a complete one-line
/// explanation meant to be shown as it is; the command line prints it without a stack trace.
/// </summary>
public class SharpInferException : Exception
{
    public SharpInferException(string message) : base(message) { }
    public SharpInferException(string message, Exception inner) : base(message, inner) { }
}
