//! A disk that loses power, for SQLite: a VFS over the real one (`unix`) that remembers,
//! for every file SQLite opens by name, what was written since that file was last
//! synced, with what it overwrote. When the power goes, every file is put back as a disk
//! would hold it: what was synced stays; of what was not, the writes that reached the
//! platter in order before the cut (any number of them, none to all) and possibly part
//! of the next, torn at a sector boundary. The rest is lost. The shared-memory index
//! (`-shm`) is lost with the machine's memory.
//!
//! Why a VFS and not a FUSE filesystem (as Jepsen's LazyFS): the VFS sees exactly the
//! writes and syncs SQLite makes on the real store files (encrypted pages, WAL frames,
//! checkpoints), in the order it makes them, so a loss can be cut between any two of
//! them and replayed from a seed; FUSE would see the same writes one layer lower, but
//! needs `/dev/fuse` and privileges a CI container rarely grants, and adds the kernel's
//! own caching between the cut and the files. What neither models: a file created or
//! deleted and not yet in its directory on disk (SQLite syncs the directory where that
//! matters; deletes here are taken as done).
//!
//! One disk per process: [`install`] makes it SQLite's default VFS, and every
//! connection opened afterwards goes through it. [`arm`] cuts the power after a number
//! of writes and syncs; from then on every write, sync, truncation and deletion fails,
//! as the dead machine would do nothing more; [`power_loss`] puts the files back once
//! the connections are closed.

// An SQLite VFS is C's interface: SQLite calls these functions with its own pointers.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use rusqlite::ffi;

/// The sector a torn write is cut at: what a disk writes whole.
const SECTOR: usize = 512;

/// One write or truncation not yet synced, with what it replaced.
#[derive(Debug, Clone)]
enum Op {
    Write {
        offset: u64,
        /// The bytes the write covered before it, as far as the file reached.
        before: Vec<u8>,
        len: usize,
        size_before: u64,
    },
    Truncate {
        at: u64,
        /// The bytes cut off, from `at` to the old end.
        tail: Vec<u8>,
    },
}

#[derive(Debug, Default)]
struct Disk {
    /// Unsynced operations per file, oldest first.
    unsynced: HashMap<PathBuf, Vec<Op>>,
    /// Files open now, by name, and how many times.
    open: HashMap<PathBuf, usize>,
    /// Writes, truncations and syncs seen since armed.
    seen: u64,
    /// The power goes when `seen` reaches this.
    cut_at: Option<u64>,
    dead: bool,
}

fn disk() -> MutexGuard<'static, Disk> {
    static DISK: OnceLock<Mutex<Disk>> = OnceLock::new();
    DISK.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// What happened to the files when the power went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loss {
    /// Unsynced writes and truncations lost, over all files.
    pub lost: usize,
    /// Unsynced ones that reached the disk before the cut.
    pub kept: usize,
    /// A write torn at a sector boundary.
    pub torn: bool,
}

/// The power will go after `operations` more writes, truncations and syncs (0: before
/// the next). Forgets what was unsynced before: the files as they are now are taken as
/// on disk.
pub fn arm(operations: u64) {
    let mut d = disk();
    d.unsynced.clear();
    d.seen = 0;
    d.cut_at = Some(operations);
    d.dead = false;
}

/// Whether the power has gone.
pub fn is_dead() -> bool {
    disk().dead
}

/// How many writes, truncations and syncs were seen since armed.
pub fn seen() -> u64 {
    disk().seen
}

/// How many files under `dir` are open through this disk now. A loss is only put back
/// once none are: a connection left open in this process would go on with what it
/// remembers of the files (SQLite shares a file's locks and WAL index within a process).
pub fn open_files(dir: &Path) -> usize {
    disk()
        .open
        .iter()
        .filter(|(path, _)| path.starts_with(dir))
        .map(|(_, n)| n)
        .sum()
}

/// Puts every file back as the disk holds it after the cut (see the module's comment),
/// choosing with `random` (a number below its argument) how much of each file's
/// unsynced writes reached the disk and whether one was torn; removes `-shm` files under
/// `dir`. Call once every connection is closed. The disk is then alive and unarmed.
pub fn power_loss(dir: &Path, mut random: impl FnMut(u64) -> u64) -> std::io::Result<Loss> {
    let open = open_files(dir);
    if open > 0 {
        return Err(std::io::Error::other(format!(
            "{open} files under {} are still open: close every connection first ({:?})",
            dir.display(),
            disk().open
        )));
    }
    let unsynced = {
        let mut d = disk();
        d.cut_at = None;
        d.dead = false;
        std::mem::take(&mut d.unsynced)
    };
    let mut loss = Loss::default();
    let mut paths: Vec<_> = unsynced.into_iter().collect();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, ops) in paths {
        if !path.exists() {
            continue;
        }
        let reached = usize::try_from(random(ops.len() as u64 + 1)).unwrap_or(0);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)?;
        for (i, op) in ops.iter().enumerate().skip(reached).rev() {
            match op {
                Op::Write {
                    offset,
                    before,
                    len,
                    size_before,
                } => {
                    // The first write not to reach the disk whole may have reached it in part.
                    let kept = if i == reached && *len >= 2 * SECTOR && random(2) == 1 {
                        loss.torn = true;
                        let sectors = (*len / SECTOR) as u64;
                        usize::try_from(1 + random(sectors - 1)).unwrap_or(0) * SECTOR
                    } else {
                        0
                    };
                    if kept < before.len() {
                        file.seek(SeekFrom::Start(offset + kept as u64))?;
                        file.write_all(&before[kept..])?;
                    }
                    let end = (*size_before).max(offset + kept as u64);
                    if file.metadata()?.len() > end {
                        file.set_len(end)?;
                    }
                }
                Op::Truncate { at, tail } => {
                    file.set_len(*at)?;
                    file.seek(SeekFrom::Start(*at))?;
                    file.write_all(tail)?;
                }
            }
        }
        file.sync_all()?;
        loss.lost += ops.len() - reached;
        loss.kept += reached;
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with("-shm") {
            std::fs::remove_file(path)?;
        }
    }
    Ok(loss)
}

/// The file SQLite holds: ours, with the real VFS's file after it.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    /// The real file's memory (8-byte aligned), freed on close.
    memory: *mut u64,
    words: usize,
    path: Option<PathBuf>,
}

struct Vfs {
    real: *mut ffi::sqlite3_vfs,
}

// The VFS structs are made once and never freed or changed after registration.
unsafe impl Send for Vfs {}
unsafe impl Sync for Vfs {}

static VFS: OnceLock<Vfs> = OnceLock::new();

/// Makes the power-losing disk SQLite's default VFS in this process (once; later calls
/// do nothing). Until [`arm`] it only passes everything through.
pub fn install() {
    VFS.get_or_init(|| unsafe {
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        assert!(!real.is_null(), "SQLite has a default VFS");
        let mut ours: ffi::sqlite3_vfs = *real;
        ours.zName = c"power-loss".as_ptr();
        ours.szOsFile = c_int::try_from(size_of::<File>()).expect("small");
        ours.xOpen = Some(open);
        ours.xDelete = Some(delete);
        ours.pNext = std::ptr::null_mut();
        // Registered for the rest of the process: SQLite keeps the pointer.
        let ours = Box::into_raw(Box::new(ours));
        let rc = ffi::sqlite3_vfs_register(ours, 1);
        assert_eq!(rc, ffi::SQLITE_OK, "register the power-loss VFS");
        Vfs { real }
    });
}

fn real_vfs() -> *mut ffi::sqlite3_vfs {
    VFS.get().expect("installed").real
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

/// Counts one write, truncation or sync; false when the power is (or now goes) off.
fn alive(d: &mut Disk) -> bool {
    if d.dead {
        return false;
    }
    if let Some(cut) = d.cut_at {
        if d.seen >= cut {
            d.dead = true;
            return false;
        }
        d.seen += 1;
    }
    true
}

unsafe fn ours(file: *mut ffi::sqlite3_file) -> &'static mut File {
    unsafe { &mut *file.cast::<File>() }
}

unsafe fn real_methods(f: &File) -> &'static ffi::sqlite3_io_methods {
    unsafe { &*(*f.real).pMethods }
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    unsafe {
        let real = real_vfs();
        let size = usize::try_from((*real).szOsFile).unwrap_or(0);
        let words = size.div_ceil(8).max(1);
        let memory = Box::into_raw(vec![0u64; words].into_boxed_slice()).cast::<u64>();
        let real_file = memory.cast::<ffi::sqlite3_file>();
        let rc = ((*real).xOpen.expect("xOpen"))(real, name, real_file, flags, out_flags);
        let f = file.cast::<File>();
        if rc != ffi::SQLITE_OK {
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                memory, words,
            )));
            (*file).pMethods = std::ptr::null();
            return rc;
        }
        let path = (!name.is_null())
            .then(|| PathBuf::from(CStr::from_ptr(name).to_string_lossy().into_owned()));
        if let Some(path) = &path {
            *disk().open.entry(path.clone()).or_default() += 1;
        }
        std::ptr::write(
            f,
            File {
                base: ffi::sqlite3_file { pMethods: &METHODS },
                real: real_file,
                memory,
                words,
                path,
            },
        );
        rc
    }
}

unsafe extern "C" fn delete(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    {
        let mut d = disk();
        if d.dead {
            return ffi::SQLITE_IOERR_DELETE;
        }
        if !name.is_null() {
            let path = PathBuf::from(
                unsafe { CStr::from_ptr(name) }
                    .to_string_lossy()
                    .into_owned(),
            );
            d.unsynced.remove(&path);
        }
    }
    unsafe {
        let real = real_vfs();
        ((*real).xDelete.expect("xDelete"))(real, name, sync_dir)
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let f = ours(file);
        let rc = (real_methods(f).xClose.expect("xClose"))(f.real);
        if let Some(path) = &f.path {
            let mut d = disk();
            if let Some(n) = d.open.get_mut(path) {
                *n -= 1;
                if *n == 0 {
                    d.open.remove(path);
                }
            }
        }
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            f.memory, f.words,
        )));
        std::ptr::drop_in_place(&mut f.path);
        rc
    }
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xRead.expect("xRead"))(f.real, buf, amount, offset)
    }
}

/// The file's size and what `[offset, offset + len)` holds now, as far as it reaches.
unsafe fn before_image(f: &File, offset: u64, len: usize) -> (u64, Vec<u8>) {
    unsafe {
        let mut size: i64 = 0;
        (real_methods(f).xFileSize.expect("xFileSize"))(f.real, &mut size);
        let size = u64::try_from(size).unwrap_or(0);
        let have = usize::try_from(size.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(len);
        let mut before = vec![0u8; have];
        if have > 0 {
            (real_methods(f).xRead.expect("xRead"))(
                f.real,
                before.as_mut_ptr().cast(),
                c_int::try_from(have).unwrap_or(c_int::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX),
            );
        }
        (size, before)
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe {
        let f = ours(file);
        let mut d = disk();
        if !alive(&mut d) {
            return ffi::SQLITE_IOERR_WRITE;
        }
        if let (Some(path), true) = (&f.path, d.cut_at.is_some()) {
            let (start, len) = (
                u64::try_from(offset).unwrap_or(0),
                usize::try_from(amount).unwrap_or(0),
            );
            let (size_before, before) = before_image(f, start, len);
            d.unsynced.entry(path.clone()).or_default().push(Op::Write {
                offset: start,
                before,
                len,
                size_before,
            });
        }
        drop(d);
        (real_methods(f).xWrite.expect("xWrite"))(f.real, buf, amount, offset)
    }
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    unsafe {
        let f = ours(file);
        let mut d = disk();
        if !alive(&mut d) {
            return ffi::SQLITE_IOERR_TRUNCATE;
        }
        if let (Some(path), true) = (&f.path, d.cut_at.is_some()) {
            let at = u64::try_from(size).unwrap_or(0);
            let (old, tail) = before_image(f, at, usize::MAX);
            if old > at {
                d.unsynced
                    .entry(path.clone())
                    .or_default()
                    .push(Op::Truncate { at, tail });
            }
        }
        drop(d);
        (real_methods(f).xTruncate.expect("xTruncate"))(f.real, size)
    }
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe {
        let f = ours(file);
        {
            let mut d = disk();
            if !alive(&mut d) {
                return ffi::SQLITE_IOERR_FSYNC;
            }
        }
        let rc = (real_methods(f).xSync.expect("xSync"))(f.real, flags);
        if rc == ffi::SQLITE_OK
            && let Some(path) = &f.path
        {
            disk().unsynced.remove(path);
        }
        rc
    }
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xFileSize.expect("xFileSize"))(f.real, size)
    }
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xLock.expect("xLock"))(f.real, level)
    }
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xUnlock.expect("xUnlock"))(f.real, level)
    }
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f)
            .xCheckReservedLock
            .expect("xCheckReservedLock"))(f.real, out)
    }
}

unsafe extern "C" fn file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xFileControl.expect("xFileControl"))(f.real, op, arg)
    }
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xSectorSize.expect("xSectorSize"))(f.real)
    }
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let f = ours(file);
        // Nothing is promised beyond what a plain disk gives: no atomic or safe-append
        // writes, so SQLite takes no shortcut the torn writes here would break.
        (real_methods(f)
            .xDeviceCharacteristics
            .expect("xDeviceCharacteristics"))(f.real)
            & !(ffi::SQLITE_IOCAP_ATOMIC
                | ffi::SQLITE_IOCAP_SAFE_APPEND
                | ffi::SQLITE_IOCAP_SEQUENTIAL
                | ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE)
    }
}

unsafe extern "C" fn shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xShmMap.expect("xShmMap"))(f.real, region, size, extend, out)
    }
}

unsafe extern "C" fn shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xShmLock.expect("xShmLock"))(f.real, offset, n, flags)
    }
}

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    unsafe {
        let f = ours(file);
        (real_methods(f).xShmBarrier.expect("xShmBarrier"))(f.real);
    }
}

unsafe extern "C" fn shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    unsafe {
        let f = ours(file);
        (real_methods(f).xShmUnmap.expect("xShmUnmap"))(f.real, delete)
    }
}

unsafe extern "C" fn fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe {
        // No memory-mapped reads: every read goes through `read`.
        let _ = (file, offset, amount);
        *out = std::ptr::null_mut();
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn unfetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    page: *mut c_void,
) -> c_int {
    let _ = (file, offset, page);
    ffi::SQLITE_OK
}

/// What one run of a store through a power loss gave.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Reports acknowledged as saved before the power went.
    pub acknowledged: usize,
    /// Edits acknowledged as saved before the power went.
    pub edits: usize,
    /// Writes, truncations and syncs made before the cut.
    pub operations: u64,
    pub loss: Loss,
}

/// A device on patrol through one power loss, chosen by `seed`: its encrypted store
/// (WAL) records reports, edits some, settles a sync now and then and checkpoints, until
/// the power goes after a seeded number of writes and syncs. The files are then put
/// back as the disk holds them, and the store must open, pass `integrity_check`, and
/// hold every report and edit that was acknowledged as saved, each either acknowledged
/// by the server or still waiting to be sent. An error says what was lost.
pub fn device_run(dir: &Path, seed: u64) -> Result<Outcome, String> {
    use lagesbild_core::store::StoreKey;
    use lagesbild_core::sync::storage::{PushAnswer, SyncStorage};
    use lagesbild_core::{ObservationId, ObservationPatch, Store, demo};

    install();
    let fail =
        |what: &'static str| move |e: lagesbild_core::Error| format!("seed {seed}: {what}: {e}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let path = dir.join("store.sqlite3");
    let key = StoreKey::random().map_err(fail("a key"))?;
    let demo = demo::workspace("Strömavbrott");
    let now = crate::now();
    {
        let mut store = Store::open(&path, &key).map_err(fail("a new store"))?;
        demo.install(&mut store, 1).map_err(fail("the register"))?;
    }
    let drafts = demo.reports(48, 1, now, seed);
    let mut store = Store::open(&path, &key).map_err(fail("open"))?;
    // About one to two hundred writes and syncs happen in a run: cut anywhere in them.
    arm(rng.u64(0..240));
    // What was acknowledged: each report with its grade as last saved, and whether the
    // server's answer to it was settled.
    let mut saved: Vec<(ObservationId, lagesbild_core::Grade, bool)> = Vec::new();
    // An edit that failed as the power went: its report and the grade it asked for.
    let mut maybe: Option<(ObservationId, Option<lagesbild_core::Grade>)> = None;
    // Reports in a settling that failed as the power went.
    let mut maybe_settled = std::collections::HashSet::new();
    let mut edits = 0;
    for (i, (_, draft)) in drafts.iter().enumerate() {
        let Ok(report) = store.record(draft, now) else {
            break;
        };
        saved.push((report.id, report.grade, false));
        if i % 5 == 2 {
            let (id, grade, _) = saved[rng.usize(0..saved.len())];
            let higher = i64::from(grade.value() % 5 + 1);
            let patch = ObservationPatch {
                grade: Some(higher),
                ..ObservationPatch::default()
            };
            match store.edit(id, &patch, now) {
                Ok(edited) => {
                    edits += 1;
                    for s in saved.iter_mut().filter(|s| s.0 == id) {
                        s.1 = edited.grade;
                    }
                }
                Err(_) => {
                    // Not acknowledged, but perhaps done: SQLite reports an error in the
                    // checkpoint that follows a commit as the statement's own, after the
                    // commit is on disk. Either grade is right.
                    maybe = Some((id, lagesbild_core::Grade::new(higher).ok()));
                    break;
                }
            }
        }
        if i % 9 == 8 {
            // A sync: the server stored everything waiting; the device settles it.
            let Ok(pending) = store.pending_changes(1000) else {
                break;
            };
            let answer = PushAnswer {
                acknowledged: pending.iter().map(|p| p.seq).collect(),
                refused: vec![],
                erased: vec![],
                server_time: now,
            };
            if store.settle_push(&answer).is_err() {
                // Perhaps settled (the error may be the checkpoint's after the commit):
                // these may wait still or not.
                maybe_settled.extend(pending.iter().map(|p| p.doc_id));
                break;
            }
            for s in saved.iter_mut() {
                s.2 = true;
            }
        }
        if i % 16 == 15 && store.checkpoint().is_err() {
            break;
        }
        if is_dead() {
            break;
        }
    }
    let operations = seen();
    let acknowledged = saved.len();
    drop(store);
    let loss = power_loss(dir, |n| rng.u64(0..n)).map_err(|e| format!("seed {seed}: {e}"))?;

    let store = Store::open(&path, &key).map_err(fail("the store after the power loss"))?;
    let check = store.integrity_check().map_err(fail("integrity_check"))?;
    if check != "ok" {
        return Err(format!(
            "seed {seed}: integrity_check says {check} ({loss:?})"
        ));
    }
    let waiting: std::collections::HashSet<uuid::Uuid> = store
        .pending_changes(100_000)
        .map_err(fail("the changes waiting"))?
        .into_iter()
        .map(|p| p.doc_id)
        .collect();
    let listed: std::collections::HashSet<ObservationId> = store
        .list(&Default::default())
        .map_err(fail("the list"))?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for (id, grade, settled) in &saved {
        let held = store
            .observation(*id)
            .map_err(|e| format!("seed {seed}: report {id} was saved and is lost: {e} ({loss:?}, cut after {operations})"))?;
        let asked = maybe.filter(|m| m.0 == *id).and_then(|m| m.1);
        if held.grade != *grade && Some(held.grade) != asked {
            return Err(format!(
                "seed {seed}: report {id} was saved with grade {} and holds {} ({loss:?})",
                grade.value(),
                held.grade.value()
            ));
        }
        if !listed.contains(id) {
            return Err(format!(
                "seed {seed}: report {id} is held but not listed ({loss:?})"
            ));
        }
        if !settled && !waiting.contains(id.as_uuid()) && !maybe_settled.contains(id.as_uuid()) {
            return Err(format!(
                "seed {seed}: report {id} was never sent and no longer waits to be ({loss:?})"
            ));
        }
    }
    Ok(Outcome {
        acknowledged,
        edits,
        operations,
        loss,
    })
}

/// The sync server's SQLite through one power loss, chosen by `seed`: three devices
/// record reports and sync them to a server in this process while its disk's power goes
/// after a seeded number of writes and syncs. The server's file is then put back as the
/// disk holds it, and the server started again on it must open, pass `integrity_check`
/// and hold every report it answered `stored`; the devices then sync again, and every
/// report reaches it.
pub async fn server_run(dir: &Path, seed: u64) -> Result<Outcome, String> {
    use lagesbild_core::ObservationId;
    use lagesbild_core::demo;

    use crate::Device;
    use crate::scenario::{TestServer, observations};

    install();
    let mut rng = fastrand::Rng::with_seed(seed);
    let path = dir.join("server.sqlite3");
    let now = crate::now();
    let mut server = TestServer::start(&path).await;
    let demo = demo::workspace("Strömavbrott");
    let codes = server.install_demo(&demo, 0);
    let mut devices = Vec::new();
    for (i, code) in codes.iter().take(3).enumerate() {
        devices.push(Device::enroll(&server.url(), code, &format!("enhet {i}")).await);
    }
    let mut recorded: Vec<ObservationId> = Vec::new();
    let mut stored: std::collections::HashSet<ObservationId> = std::collections::HashSet::new();
    arm(rng.u64(0..160));
    'rounds: for round in 0..6u64 {
        for (d, device) in devices.iter().enumerate() {
            let drafts = demo.reports(2, 1, now, seed * 100 + round * 10 + d as u64);
            for (_, draft) in &drafts {
                let report = device
                    .store
                    .lock()
                    .map_err(|_| "a device's store")?
                    .record(draft, now)
                    .map_err(|e| format!("seed {seed}: a device's own store: {e}"))?;
                recorded.push(report.id);
            }
            // The server's answer, as the device takes it: what no longer waits was stored.
            let _ = lagesbild_client::sync_once(&device.store, &device.transport, device.workspace)
                .await;
            let store = device.store.lock().map_err(|_| "a device's store")?;
            let waiting: std::collections::HashSet<uuid::Uuid> = store
                .pending_changes(10_000)
                .map_err(|e| format!("seed {seed}: {e}"))?
                .into_iter()
                .map(|p| p.doc_id)
                .collect();
            for id in &recorded {
                if store.observation(*id).is_ok() && !waiting.contains(id.as_uuid()) {
                    stored.insert(*id);
                }
            }
            if is_dead() {
                break 'rounds;
            }
        }
    }
    let operations = seen();
    // The machine is off: nothing of the server runs any more, and its files are as the
    // disk holds them.
    server.stop().await;
    drop(server);
    // The devices' connections go too, and with them the server's last handlers and
    // their database connections.
    for device in &mut devices {
        device.transport =
            lagesbild_client::HttpTransport::new("http://127.0.0.1:9", &device.token, None)
                .map_err(|e| format!("seed {seed}: {e}"))?;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while open_files(dir) > 0 {
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "seed {seed}: the stopped server keeps its database open"
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let loss = power_loss(dir, |n| rng.u64(0..n)).map_err(|e| format!("seed {seed}: {e}"))?;

    let check: String = rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
        .map_err(|e| format!("seed {seed}: the server's file after the power loss: {e}"))?;
    if check != "ok" {
        return Err(format!(
            "seed {seed}: integrity_check says {check} ({loss:?})"
        ));
    }
    let server = TestServer::start(&path).await;
    let held: std::collections::HashSet<ObservationId> = observations(&*server.database().open())
        .into_iter()
        .map(|o| o.id)
        .collect();
    for id in &stored {
        if !held.contains(id) {
            return Err(format!(
                "seed {seed}: report {id} was answered stored and is lost ({loss:?}, cut after {operations})"
            ));
        }
    }
    // Back on: the devices send what waits, and the server ends up with every report.
    for device in &mut devices {
        device.transport = lagesbild_client::HttpTransport::new(&server.url(), &device.token, None)
            .map_err(|e| format!("seed {seed}: {e}"))?;
        lagesbild_client::sync_once(&device.store, &device.transport, device.workspace)
            .await
            .map_err(|e| format!("seed {seed}: a sync after the power came back: {e}"))?;
    }
    let held: std::collections::HashSet<ObservationId> = observations(&*server.database().open())
        .into_iter()
        .map(|o| o.id)
        .collect();
    if let Some(missing) = recorded.iter().find(|id| !held.contains(id)) {
        return Err(format!(
            "seed {seed}: report {missing} never reached the server after the power came back ({loss:?})"
        ));
    }
    Ok(Outcome {
        acknowledged: stored.len(),
        edits: 0,
        operations,
        loss,
    })
}
