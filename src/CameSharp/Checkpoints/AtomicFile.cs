namespace CameSharp.Checkpoints;

/// <summary>
/// Writes a file so that readers see either the old content or the whole new one: the bytes go to a temporary file
/// in the same folder, are flushed to disk, and the temporary file is then renamed over the target.
/// </summary>
/// <remarks>
/// A process killed mid-write leaves its temporary file behind, so each write first removes the temporaries that
/// earlier writes of the same target left: a crash leaves at most one, until the next write. Each write's temporary
/// has a name of its own (<c>.{file}.{guid}.tmp</c>) rather than one fixed by the target, so that two writers of one
/// target never write into, or rename, each other's file; a temporary is removed only when it can be opened
/// exclusively, which a write in progress prevents by holding it so while it writes. (Between closing its file and
/// renaming it, a write can lose it to another write of the same target; it then fails, and the target is intact.)
/// </remarks>
internal static class AtomicFile
{
    private const string Suffix = ".tmp";
    private const int GuidLength = 32;

    public static void Write(string path, Action<FileStream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        string folder = Path.GetDirectoryName(full)!;
        if (name.Length == 0 || Directory.Exists(full))
            throw new ArgumentException($"cannot save to '{path}': it names a folder; give a file path.", nameof(path));
        // The messages name the caller's path: the temporary file is an implementation detail.
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"cannot save to '{path}': the folder '{folder}' does not exist.");

        RemoveLeftovers(folder, name);
        string temp = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}{Suffix}");
        FileStream file;
        try
        {
            file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"cannot save to '{path}': no permission to create a file in the folder '{folder}'.", e);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot save to '{path}': a file cannot be created in the folder '{folder}': {Reason(e, temp)}", e);
        }
        try
        {
            using (file)
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temp);
            if (e is UnauthorizedAccessException) throw new UnauthorizedAccessException($"cannot save to '{path}': {Reason(e, temp)}", e);
            if (e is IOException and not CheckpointException) throw new IOException($"cannot save to '{path}': {Reason(e, temp)}", e);
            throw;
        }
    }

    /// <summary>The system's message without the temporary file's name, which means nothing to the caller.</summary>
    private static string Reason(Exception e, string temp) =>
        e.Message.Replace($" : '{temp}'", "", StringComparison.Ordinal).Replace($"'{temp}'", "a temporary file beside it", StringComparison.Ordinal);

    /// <summary>The temporaries of earlier writes of <paramref name="name"/> that no write holds open now.</summary>
    private static void RemoveLeftovers(string folder, string name)
    {
        string prefix = $".{name}.";
        var options = new EnumerationOptions
        {
            MatchType = MatchType.Simple,
            MatchCasing = MatchCasing.CaseSensitive,
            // Names that start with a dot count as hidden on Unix; the temporaries are exactly those.
            AttributesToSkip = 0,
            IgnoreInaccessible = true,
        };
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, "*" + Suffix, options).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (string candidate in candidates)
        {
            string file = Path.GetFileName(candidate);
            if (file.Length != prefix.Length + GuidLength + Suffix.Length || !file.StartsWith(prefix, StringComparison.Ordinal)
                || !file.EndsWith(Suffix, StringComparison.Ordinal) || !IsHex(file.AsSpan(prefix.Length, GuidLength)))
                continue;
            try
            {
                // Opening exclusively fails while another write holds the file; DeleteOnClose removes it while it is held.
                using var _ = new FileStream(candidate, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use, already gone, or not ours to remove: leave it.
            }
        }
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
            if (!char.IsAsciiHexDigitLower(c)) return false;
        return true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is the one to report; an undeletable temporary is removed by the next write.
        }
    }
}
