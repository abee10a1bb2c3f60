//! Decoding, mixdown, resampling and the media-folder loader.

use super::*;

fn sine(freq: f32, rate: u32, secs: f32, channels: usize, amp: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    (0..n)
        .flat_map(|i| {
            let v = amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin();
            std::iter::repeat_n(v, channels)
        })
        .collect()
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Counts upward zero crossings (a frequency estimate).
fn crossings(x: &[i16]) -> usize {
    x.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count()
}

#[test]
fn stereo_44k1_becomes_mono_8k_frames() {
    let src = MediaSource::from_interleaved("t", &sine(1000.0, 44_100, 1.0, 2, 0.5), 44_100, 2);
    assert_eq!(src.frames(), 50);
    let mid = &src.pcm()[800..7200]; // 0.8 s away from the edges
    let c = crossings(mid);
    assert!(
        (790..=810).contains(&c),
        "1 kHz kept: {c} crossings in 0.8 s"
    );
    let level = rms(mid);
    assert!(
        (level - 0.5 * 32767.0 / 2f64.sqrt()).abs() < 400.0,
        "level {level}"
    );
    // Encoded once per law, consistently with the PCM.
    let f = src.frame(Law::A, 10);
    assert_eq!(f.len(), FRAME_SAMPLES);
    assert_eq!(f[3], Law::A.encode(src.pcm()[10 * FRAME_SAMPLES + 3]));
    assert_eq!(
        src.frame(Law::Mu, 10)[3],
        Law::Mu.encode(src.pcm()[10 * FRAME_SAMPLES + 3])
    );
}

#[test]
fn resampling_removes_what_8k_cannot_carry() {
    // 6 kHz would alias to 2 kHz without the low-pass.
    let out = resample(&sine(6000.0, 48_000, 0.5, 1, 0.8), 48_000, 8000);
    let pcm: Vec<i16> = out.iter().map(|s| (s * 32767.0) as i16).collect();
    assert!(
        rms(&pcm[200..3800]) < 300.0,
        "alias level {}",
        rms(&pcm[200..3800])
    );
    // Upsampling keeps a tone too.
    let up = resample(&sine(440.0, 4000, 1.0, 1, 0.5), 4000, 8000);
    assert_eq!(up.len(), 8000);
    let pcm: Vec<i16> = up.iter().map(|s| (s * 32767.0) as i16).collect();
    assert!(
        (392..=400).contains(&crossings(&pcm[400..7600])),
        "440 Hz over 0.9 s"
    );
}

#[test]
fn the_projects_media_folder_loads_completely() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("media");
    let (lib, errors) = MediaLibrary::load_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    let hold = lib.get("music/hold").expect("hold music");
    assert_eq!(hold.frames(), 24 * 50);
    for name in [
        "prompts/en/beep",
        "prompts/en/num-7",
        "prompts/en/you-are-currently-in-position",
    ] {
        assert!(lib.get(name).is_some_and(|s| s.frames() > 0), "{name}");
    }
}

#[test]
fn bad_files_are_reported_with_their_path_and_the_rest_load() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&good, spec).unwrap();
    for s in sine(500.0, 16_000, 0.1, 1, 0.3) {
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    std::fs::write(
        dir.path().join("broken.wav"),
        b"RIFF\x10\x00\x00\x00WAVEjunk",
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.mp3"), vec![0u8; 4000]).unwrap();
    std::fs::write(dir.path().join("README.txt"), b"not audio").unwrap();
    let (lib, errors) = MediaLibrary::load_dir(dir.path());
    assert_eq!(lib.names().collect::<Vec<_>>(), ["good"]);
    assert_eq!(lib.get("good").unwrap().frames(), 5);
    let paths: Vec<_> = errors
        .iter()
        .map(|e| e.path.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(paths, ["broken.mp3", "broken.wav"]);
    assert!(
        errors[1].to_string().contains("broken.wav: "),
        "{}",
        errors[1]
    );
    let (_, missing) = MediaLibrary::load_dir(&dir.path().join("nope"));
    assert_eq!(missing.len(), 1);
}

#[test]
fn flac_and_ogg_decode_through_symphonia() {
    let dir = tempfile::tempdir().unwrap();
    let mut made = 0;
    for ext in ["flac", "ogg"] {
        let path = dir.path().join(format!("tone.{ext}"));
        let ok = std::process::Command::new("sox")
            .args(["-n", "-r", "44100", "-c", "2"])
            .arg(&path)
            .args(["synth", "0.5", "sine", "1000", "vol", "0.5"])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("sox cannot write {ext}; skipping");
            continue;
        }
        made += 1;
        let src = MediaSource::open(&path, "tone").unwrap();
        assert!(
            (24..=26).contains(&src.frames()),
            "{ext}: {} frames",
            src.frames()
        );
        let c = crossings(&src.pcm()[400..3600]);
        assert!((395..=405).contains(&c), "{ext}: {c} crossings");
    }
    if made == 0 {
        eprintln!("sox not available: symphonia formats not exercised");
    }
}
