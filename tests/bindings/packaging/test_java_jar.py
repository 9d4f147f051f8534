"""berth.jar on its own: a host runs from `-cp berth.jar:<test classes>` with no -D flag and no
LD_LIBRARY_PATH, its native code extracted from the jar; the manifest, the POM, the sources and
javadoc jars; the generated SWIG classes are not public."""
import os
import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from packaging_env import clean_env, key_values, need, run


def java() -> str:
    return need("BERTH_JAVA")


def host(classpath: str, *flags: str, cwd: Path) -> subprocess.CompletedProcess:
    return run([java(), *flags, "-cp", classpath, "org.berth.JarHostMain"], env=clean_env(), cwd=cwd)


def check_host_from_jar(jar: str, tmp_path: Path) -> None:
    """Runs JarHostMain with jar and checks it ran on the jar's native code only."""
    classpath = f"{jar}:{need('BERTH_JAVA_TEST_CLASSES')}"
    result = host(classpath, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = key_values(result.stdout)
    assert out["owner"] in ("srv-a", "srv-b")
    version = need("BERTH_PROJECT_VERSION")
    assert out["jar_version"] == out["library_version"] == version
    loaded = Path(out["loaded_from"])
    assert loaded.name == "libberthjni.so" and loaded.parent.parent == Path(out["tmpdir"]) \
        and loaded.parent.name.startswith("berth-native-"), f"libberthjni loaded from {loaded}"
    for name in ("libberthjni.so", "libberth.so.", "berth_backend_memory.so"):
        paths = [p for p in out["mapped"] if os.path.basename(p).startswith(name)]
        assert paths and all(Path(p).is_relative_to(loaded.parent) for p in paths), \
            f"{name} mapped from {paths}, not from {loaded.parent}"
    assert not loaded.parent.exists(), "the extracted native code stays after the JVM exited"


def test_host_runs_from_the_jar_alone(tmp_path):
    check_host_from_jar(need("BERTH_JAR"), tmp_path)


def test_failure_lists_what_was_tried(tmp_path):
    # The bare classes: no native/ directory; and a java.library.path without the library.
    classpath = f"{need('BERTH_JAVA_CLASSES')}:{need('BERTH_JAVA_TEST_CLASSES')}"
    result = host(classpath, "-Djava.library.path=/nonexistent/berth-jni", cwd=tmp_path)
    assert result.returncode != 0
    assert "Berth cannot load its JNI library libberthjni; tried:" in result.stderr, result.stderr
    assert 'System.loadLibrary("berthjni") with java.library.path=/nonexistent/berth-jni' in result.stderr
    assert re.search(r"the jar's /native/linux-[a-z0-9_]+/libberthjni\.so: no /native/\S+/files\.txt",
                     result.stderr), result.stderr
    assert "-Dberth.jni.library" in result.stderr


def jar_with_version(version: str, tmp_path: Path) -> str:
    """A copy of berth.jar whose manifest says Implementation-Version: version."""
    copy = tmp_path / f"berth-{version}.jar"
    with zipfile.ZipFile(need("BERTH_JAR")) as src, zipfile.ZipFile(copy, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "META-INF/MANIFEST.MF":
                data = re.sub(rb"(?m)^Implementation-Version: .*$",
                              b"Implementation-Version: " + version.encode(), data)
            dst.writestr(item, data)
    return str(copy)


def test_library_path_copy_of_the_jars_version_is_used(tmp_path):
    jni_dir = need("BERTH_JNI_DIR")
    jar = jar_with_version(need("BERTH_PROJECT_VERSION"), tmp_path)
    result = host(f"{jar}:{need('BERTH_JAVA_TEST_CLASSES')}", f"-Djava.library.path={jni_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert key_values(result.stdout)["loaded_from"] == "java.library.path"


def test_library_path_copy_of_another_version_is_refused(tmp_path):
    # A newer jar beside an older libberthjni left on java.library.path (say in /usr/lib).
    jni_dir = need("BERTH_JNI_DIR")
    version = need("BERTH_PROJECT_VERSION")
    jar = jar_with_version("99.0.0", tmp_path)
    result = host(f"{jar}:{need('BERTH_JAVA_TEST_CLASSES')}", f"-Djava.library.path={jni_dir}", cwd=tmp_path)
    assert result.returncode != 0
    library = os.path.join(jni_dir, "libberthjni.so")
    assert f"Berth's JNI library {library} (from java.library.path) is version {version}, " \
           "but this berth.jar is version 99.0.0" in result.stderr, result.stderr


def test_explicit_library_that_fails_is_named(tmp_path):
    classpath = f"{need('BERTH_JAR')}:{need('BERTH_JAVA_TEST_CLASSES')}"
    result = host(classpath, "-Dberth.jni.library=/nonexistent/libberthjni.so", cwd=tmp_path)
    assert result.returncode != 0
    assert "-Dberth.jni.library=/nonexistent/libberthjni.so:" in result.stderr, result.stderr


def test_manifest_pom_sources_and_javadoc():
    version = need("BERTH_PROJECT_VERSION")
    jar = Path(need("BERTH_JAR"))
    with zipfile.ZipFile(jar) as z:
        manifest = dict(line.split(": ", 1) for line in
                        z.read("META-INF/MANIFEST.MF").decode().splitlines() if ": " in line)
        names = set(z.namelist())
    assert manifest["Implementation-Version"] == version
    assert manifest["Implementation-Title"] == "Berth"
    assert manifest["Automatic-Module-Name"] == "org.berth"
    assert any(re.fullmatch(r"native/linux-[a-z0-9_]+/libberthjni\.so", n) for n in names)
    assert any(re.fullmatch(r"native/linux-[a-z0-9_]+/berth/plugins/berth_backend_memory\.so", n) for n in names)
    with zipfile.ZipFile(jar) as z:
        assert "Apache License" in z.read("META-INF/LICENSE").decode()

    with zipfile.ZipFile(jar.with_name("berth-sources.jar")) as z:
        sources = set(z.namelist())
    assert {"org/berth/Engine.java", "org/berth/NativeLoader.java", "org/berth/berth_swigJNI.java"} <= sources
    with zipfile.ZipFile(jar.with_name("berth-javadoc.jar")) as z:
        pages = set(z.namelist())
    assert "org/berth/Engine.html" in pages
    assert not [p for p in pages if "berth_swig" in p or "SWIGTYPE" in p or "NativeLoader" in p], \
        "javadoc documents the generated classes"

    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    pom = ElementTree.parse(jar.with_name("berth.pom")).getroot()
    assert pom.findtext("m:groupId", namespaces=ns) == "org.berth"
    assert pom.findtext("m:artifactId", namespaces=ns) == "berth"
    assert pom.findtext("m:version", namespaces=ns) == version


def test_generated_classes_are_not_public():
    jar = need("BERTH_JAR")
    with zipfile.ZipFile(jar) as z:
        generated = sorted(n[:-6].replace("/", ".") for n in z.namelist()
                           if re.fullmatch(r"org/berth/(berth_|SWIGTYPE_)[^$]*\.class", n))
    assert "org.berth.berth_swigJNI" in generated and "org.berth.berth_swig" in generated
    javap = str(Path(java()).resolve().parent / "javap")
    result = run([javap, "-cp", jar, *generated])
    assert result.returncode == 0, result.stderr
    declarations = [line for line in result.stdout.splitlines()
                    if re.match(r"^(public |final |abstract )*(class|interface) ", line)]
    assert len(declarations) == len(generated), result.stdout
    public = [d for d in declarations if d.startswith("public ")]
    assert not public, f"generated classes are public: {public}"
    engine = run([javap, "-cp", jar, "org.berth.Engine"])
    assert "public final class org.berth.Engine" in engine.stdout or "public class org.berth.Engine" in engine.stdout
