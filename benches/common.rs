//! Shared by the benchmark binaries: write a figure table into
//! docs/benchmarks.md between markers, and read the machine's description.

#![allow(dead_code)]

use std::path::Path;

/// Replace the section between `<!-- NAME:start -->` and `<!-- NAME:end -->`
/// in docs/benchmarks.md (appending it when absent).
pub fn write_section(name: &str, body: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/benchmarks.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".to_string());
    let start = format!("<!-- {name}:start -->");
    let end = format!("<!-- {name}:end -->");
    let section = format!("{start}\n{}\n{end}", body.trim_end());
    let new = match (text.find(&start), text.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{}{}", &text[..a], section, &text[b + end.len()..])
        }
        _ => format!("{}\n\n{}\n", text.trim_end(), section),
    };
    std::fs::write(&path, new).expect("write docs/benchmarks.md");
    println!("figures written to {}", path.display());
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
                    / 1024
                    / 1024
            })
        })
        .unwrap_or(0);
    format!(
        "{cores} cores ({cpu}), {mem} GiB RAM, {}",
        std::env::consts::OS
    )
}

/// CPU seconds (user + system) and peak RSS (KiB) of the waited-for children.
pub fn children_usage() -> (f64, i64) {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime) + secs(ru.ru_stime), ru.ru_maxrss)
}

/// One page of the poll-pass benchmark: 30-80 KB, a navigation block, a
/// listing of 40 items and filler prose (`version` changes the first item).
pub fn page(i: usize, version: usize) -> String {
    let size = 30_000 + (i * 7919) % 50_000;
    let mut s = String::from(
        "<html><head><meta charset=\"utf-8\"><title>Duyurular</title></head><body><nav>",
    );
    for n in 0..30 {
        s.push_str(&format!("<a href=\"/menu/{n}\">Menü {n}</a> "));
    }
    s.push_str("</nav><div id=\"list\"><ul>");
    for n in 0..40 {
        let v = if n == 0 { version } else { 0 };
        s.push_str(&format!(
            "<li><a href=\"/p{i}/duyuru-{n}-{v}\">Tıbbi cihaz ve telsiz ekipmanı duyurusu {n} sürüm {v}</a><p>GTİP 8517.62 ve 9018.19 kapsamındaki ürünler için açıklama {n}.</p></li>"
        ));
    }
    s.push_str("</ul></div><footer>");
    while s.len() < size {
        s.push_str("<p>Bu sayfadaki bilgiler bilgilendirme amaçlıdır; resmî metin Resmî Gazete'de yayımlanan metindir.</p>");
    }
    s.push_str("</footer></body></html>");
    s
}

/// CPU seconds (user + system) of this process so far.
pub fn process_cpu() -> f64 {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime writes into the struct we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// What a child process did: its exit, output, CPU seconds and peak RSS.
pub struct ChildRun {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
    pub cpu: f64,
    pub max_rss_kb: i64,
}

/// Run a command to its end and read its own resource usage (`wait4`).
// The child is reaped by `wait4` below, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn run_child(cmd: &mut std::process::Command) -> ChildRun {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the child");
    let mut stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, writing into structs we own.
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    ChildRun {
        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        stdout,
        stderr: err.join().unwrap_or_default(),
        cpu: secs(ru.ru_utime) + secs(ru.ru_stime),
        max_rss_kb: ru.ru_maxrss,
    }
}

/// Set in the environment of a bench binary started again as a launcher
/// (see [`run_measured`]).
const LAUNCHER: &str = "REGWATCH_BENCH_LAUNCHER";

/// [`run_child`] through a launcher: this bench binary started again, small,
/// which starts the command and reports its CPU and peak RSS. A child
/// started straight from a bench that holds its documents in memory is
/// charged the bench's own peak RSS (Linux counts the memory the child
/// leaves at `exec` in its maximum), so measured directly, a small program
/// looks as large as the bench. The bench's `main` calls [`launch_if_asked`]
/// first.
pub fn run_measured(cmd: &mut std::process::Command) -> ChildRun {
    let mut l = std::process::Command::new(std::env::current_exe().expect("this bench's path"));
    l.env(LAUNCHER, "1")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => l.env(k, v),
            None => l.env_remove(k),
        };
    }
    let mut run = run_child(&mut l);
    // The launcher's last line on stderr: the command's CPU seconds and peak RSS.
    let last = run
        .stderr
        .trim_end()
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .to_string();
    let mut f = last
        .strip_prefix("launched: ")
        .unwrap_or("")
        .split_whitespace();
    match (
        f.next().and_then(|c| c.parse().ok()),
        f.next().and_then(|r| r.parse().ok()),
    ) {
        (Some(cpu), Some(rss)) => {
            run.cpu = cpu;
            run.max_rss_kb = rss;
            run.stderr
                .truncate(run.stderr.trim_end().len() - last.len());
        }
        _ => run.ok = false,
    }
    run
}

/// In a launcher started by [`run_measured`]: run the command of this
/// process's arguments, print its CPU seconds and peak RSS (KiB) as the
/// last line on stderr, and exit with its status.
pub fn launch_if_asked() {
    if std::env::var_os(LAUNCHER).is_none() {
        return;
    }
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        std::process::exit(2)
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).env_remove(LAUNCHER);
    let run = run_child(&mut cmd);
    print!("{}", run.stdout);
    eprint!("{}", run.stderr);
    eprintln!("\nlaunched: {} {}", run.cpu, run.max_rss_kb);
    std::process::exit(if run.ok { 0 } else { 1 });
}
