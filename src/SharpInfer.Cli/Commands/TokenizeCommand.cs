using System.CommandLine;
using System.Text;
using SharpInfer.Format.Gguf;
using SharpInfer.Tokenizers;

namespace SharpInfer.Cli.Commands;

/// <summary><c>sharpinfer tokenize</c>, like llama-tokenize: needs only the vocabulary (vocab-only GGUFs work).</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "GGUF model or vocab file (default: the bundled stories260K)" };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Text to tokenize" };
        var file = new Option<string?>("--file", "-f") { Description = "Read the text from a file" };
        var ids = new Option<bool>("--ids") { Description = "Print only the ids, as a list: [1, 2, 3]" };
        var noBos = new Option<bool>("--no-bos") { Description = "Do not add BOS/EOS even where the model asks for them" };
        var parseSpecial = new Option<bool>("--parse-special") { Description = "Recognise special tokens such as <s> in the text" };
        var showCount = new Option<bool>("--show-count") { Description = "Print the number of tokens" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print stack traces on errors" };
        var cmd = new Command("tokenize", "Split text into the model's tokens") { model, prompt, file, ids, noBos, parseSpecial, showCount, verbose };
        cmd.SetAction(r => CommandGuard.Run(r.GetValue(verbose), () =>
        {
            var text = r.GetValue(prompt);
            var path = r.GetValue(file);
            if (text is not null && path is not null) throw new SharpInferException("give either -p or -f, not both");
            if (path is not null)
            {
                if (!File.Exists(path)) throw new SharpInferException($"-f {path}: no such file");
                text = File.ReadAllText(path);
            }
            if (text is null) throw new SharpInferException("nothing to tokenize: give -p TEXT or -f FILE");
            using var gguf = GgufFile.Open(BundledModel.Resolve(r.GetValue(model)));
            var tokenizer = Tokenizer.FromGguf(gguf);
            var tokens = tokenizer.Encode(text, addSpecial: !r.GetValue(noBos), parseSpecial: r.GetValue(parseSpecial));
            var stdout = new StringBuilder();
            if (r.GetValue(ids))
            {
                stdout.Append('[').AppendJoin(", ", tokens).Append(']').Append('\n');
            }
            else
            {
                foreach (var t in tokens)
                    stdout.Append($"{t,6} -> '{Encoding.UTF8.GetString(tokenizer.TokenToPiece(t, renderSpecial: true))}'\n");
            }
            if (r.GetValue(showCount)) stdout.Append($"Total number of tokens: {tokens.Length}\n");
            Console.Out.Write(stdout.ToString());
            return 0;
        }));
        return cmd;
    }
}
