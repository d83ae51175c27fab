"""Packaging for extractive_qa, nbdev 2 style: every field comes from settings.ini."""
from configparser import ConfigParser
import setuptools, shlex


config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

expected = 'version description keywords author author_email license status min_python audience language'.split()
for o in expected: assert o in cfg, f"missing expected setting: {o}"
setup_cfg = {o: cfg[o] for o in 'version description keywords author author_email'.split()}

licenses = {'apache2': 'Apache-2.0'}  # SPDX expression (PEP 639); the license classifiers are deprecated
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()

lic = licenses[cfg['license'].lower()]
min_python = cfg['min_python']
requirements = shlex.split(cfg.get('requirements', ''))
extra = {name: shlex.split(cfg.get(f'{name}_requirements', '')) for name in ('cpu', 'onnx', 'course', 'dev')}
extras_require = {'cpu': extra['cpu'], 'onnx': extra['onnx'], 'course': extra['cpu'] + extra['course'],
                  'dev': extra['onnx'] + extra['dev']}
console_scripts = cfg.get('console_scripts', '').split()

setuptools.setup(
    name=cfg['lib_name'],
    license=lic,
    classifiers=['Development Status :: ' + statuses[int(cfg['status']) - 1],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()]
                + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    # namespace discovery: a folder without __init__.py inside the package (an `evaluate` metric module) ships too
    packages=setuptools.find_namespace_packages(include=['extractive_qa', 'extractive_qa.*'], exclude=['*.__pycache__']),
    include_package_data=True,
    install_requires=requirements,
    extras_require=extras_require,
    license_files=['LICENSE'],
    python_requires='>=' + min_python,
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': console_scripts, 'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
    **setup_cfg)
